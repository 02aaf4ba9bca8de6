import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hasValidLuhn } from '../../src/domain/luhn.js';
import { Inbox } from '../../src/inbox/inbox.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { resolveIdentity } from '../../src/storage/repositories/contacts.js';
import { createConversation } from '../../src/storage/repositories/conversations.js';
import { closeOpenEscalation, openEscalation } from '../../src/storage/repositories/escalations.js';
import { isLookupBlocked, recordLookupFailure } from '../../src/storage/repositories/lookup-throttle.js';
import { insertInbound } from '../../src/storage/repositories/messages.js';
import {
  changeRequestStatus,
  createSupportRequest,
  findRequestOfContact,
  requestStatusHistory,
  requestsOfContact,
} from '../../src/storage/repositories/requests.js';
import type { Database } from '../../src/storage/schema.js';
import { silentLogger } from '../support/bot.js';
import { newWebConversation } from '../support/conversations.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { sampleRequest } from '../support/intake.js';

describe.each(DIALECTS)('repositories on %s', (dialect) => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let engine: Awaited<ReturnType<typeof createBot>>;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    db = database.handle.db;
    engine = await createBot({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger: silentLogger,
      database: database.handle,
    });
  });
  afterAll(async () => {
    await database.drop();
  });

  const newRequest = (contactId: string) => ({ ...sampleRequest(contactId), monthlyIncome: 1500.5 });

  it('migrations are recorded and running them again changes nothing', async () => {
    const again = await migrateToLatest(db as Kysely<unknown>, database.schema);
    expect(again.filter((result) => result.status === 'Success')).toEqual([]);
  });

  it('links a new channel identity to the contact with the same verified phone', async () => {
    const phone = `+9665${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const whatsapp = await resolveIdentity(db, {
      channel: 'whatsapp',
      externalId: randomUUID(),
      verifiedPhone: phone,
    });
    const telegram = await resolveIdentity(db, {
      channel: 'telegram',
      externalId: randomUUID(),
      verifiedPhone: phone,
    });
    const stranger = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    expect(whatsapp.created && telegram.created).toBe(true);
    expect(telegram.contact.id).toBe(whatsapp.contact.id);
    expect(stranger.contact.id).not.toBe(whatsapp.contact.id);
    const again = await resolveIdentity(db, {
      channel: 'whatsapp',
      externalId: whatsapp.identity.external_id,
    });
    expect(again).toMatchObject({ created: false, identity: { id: whatsapp.identity.id } });
  });

  it('merges two contacts when a known identity later proves a phone another contact owns', async () => {
    const phone = `+9665${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const whatsapp = await resolveIdentity(db, {
      channel: 'whatsapp',
      externalId: randomUUID(),
      verifiedPhone: phone,
    });
    const telegram = await resolveIdentity(db, { channel: 'telegram', externalId: randomUUID() });
    expect(telegram.contact.id).not.toBe(whatsapp.contact.id);
    const request = await createSupportRequest(db, newRequest(telegram.contact.id));

    // The Telegram user shares their own contact: same person as the WhatsApp one.
    const linked = await resolveIdentity(db, {
      channel: 'telegram',
      externalId: telegram.identity.external_id,
      verifiedPhone: phone,
    });
    expect(linked.contact.id).toBe(whatsapp.contact.id);
    expect(linked.identity.phone_e164).toBe(phone);
    expect((await findRequestOfContact(db, whatsapp.contact.id, request.reference))?.id).toBe(request.id);
    const gone = await db.selectFrom('contacts').select('id').where('id', '=', telegram.contact.id).execute();
    expect(gone).toEqual([]);
  });

  it('creates requests with random Luhn references, visible only to their contact, with a status history', async () => {
    const owner = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    const other = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    const created = await Promise.all(
      Array.from({ length: 5 }, () => createSupportRequest(db, newRequest(owner.contact.id))),
    );
    const references = created.map((request) => request.reference);
    expect(new Set(references).size).toBe(5);
    for (const reference of references) expect(hasValidLuhn(reference)).toBe(true);
    expect(await requestsOfContact(db, owner.contact.id)).toHaveLength(5);
    expect(await findRequestOfContact(db, other.contact.id, references[0] as string)).toBeUndefined();
    const mine = await findRequestOfContact(db, owner.contact.id, references[0] as string);
    expect(Number(mine?.monthly_income)).toBe(1500.5);

    await changeRequestStatus(db, mine?.id as string, {
      status: 'under_review',
      changedBy: 'staff-1',
      note: 'أحيل إلى لجنة البحث',
    });
    const history = await requestStatusHistory(db, mine?.id as string);
    expect(history.map((entry) => [entry.status, entry.changed_by])).toEqual([
      ['submitted', 'beneficiary'],
      ['under_review', 'staff-1'],
    ]);
    expect((await findRequestOfContact(db, owner.contact.id, references[0] as string))?.status).toBe(
      'under_review',
    );
  });

  it('rejects impossible rows at the database level', async () => {
    const owner = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    await expect(
      createSupportRequest(db, { ...newRequest(owner.contact.id), familySize: 0 }),
    ).rejects.toThrow();
    await expect(
      createSupportRequest(db, { ...newRequest(owner.contact.id), monthlyIncome: -1 }),
    ).rejects.toThrow();
  });

  it('recognises a redelivered inbound message by channel and external id only', async () => {
    const { contact, identity } = await resolveIdentity(db, {
      channel: 'telegram',
      externalId: randomUUID(),
    });
    const conversation = await createConversation(db, {
      contactId: contact.id,
      identityId: identity.id,
      channel: 'telegram',
      locale: 'ar',
      state: {},
    });
    const record = {
      conversationId: conversation.id,
      channel: 'telegram' as const,
      externalId: randomUUID(),
      text: 'نص',
      mediaKind: null,
      receivedAt: new Date(),
    };
    expect(await insertInbound(db, record)).toBeDefined();
    expect(await insertInbound(db, record)).toBeUndefined();
    // The same id on another channel is another message.
    const web = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    const webConversation = await createConversation(db, {
      contactId: web.contact.id,
      identityId: web.identity.id,
      channel: 'web',
      locale: 'ar',
      state: {},
    });
    expect(
      await insertInbound(db, { ...record, conversationId: webConversation.id, channel: 'web' }),
    ).toBeDefined();
  });

  it('allows one open escalation per conversation', async () => {
    const { contact, conversation } = await newWebConversation(db);
    const values = {
      conversationId: conversation.id,
      contactId: contact.id,
      fromFlow: 'faq',
      fromNode: 'unclear_procedures',
    };
    const first = await openEscalation(db, values);
    expect((await openEscalation(db, values)).id).toBe(first.id);
    await closeOpenEscalation(db, conversation.id, 'resolved', new Date());
    expect((await openEscalation(db, values)).id).not.toBe(first.id);
  });

  it('blocks look-ups after repeated failures, for the block period only', async () => {
    const { contact } = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
    const policy = { maxFailures: 3, blockMs: 60_000 };
    const start = new Date('2026-11-25T10:00:00Z');
    for (let i = 0; i < 2; i++) await recordLookupFailure(db, contact.id, start, policy);
    expect(await isLookupBlocked(db, contact.id, start)).toBe(false);
    await recordLookupFailure(db, contact.id, start, policy);
    expect(await isLookupBlocked(db, contact.id, new Date(start.getTime() + 30_000))).toBe(true);
    expect(await isLookupBlocked(db, contact.id, new Date(start.getTime() + 61_000))).toBe(false);
  });

  it('serialises two processes handling one beneficiary (the per-identity lock)', async () => {
    // Two inboxes on two connection pools (two "processes") over the same data.
    const second = await database.reopen();
    const inboxFor = (handle: DatabaseHandle) =>
      new Inbox({
        db: handle.db,
        engine: engine.engine,
        catalog: engine.catalog,
        logger: silentLogger,
        throttle: { maxFailures: 3, blockMs: 60_000 },
        defaultLocale: 'ar',
        inlineDelivery: new Set(['web']),
      });
    const inboxes = [inboxFor(database.handle), inboxFor(second)];
    const user = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        inboxes[index % 2]?.receive({
          channel: 'web',
          externalUserId: user,
          externalMessageId: `${user}:${index}`,
          text: index % 2 === 0 ? 'القائمة' : '١',
        }),
      ),
    );
    expect(new Set(results.map((r) => r?.conversationId)).size).toBe(1);
    const inbound = await db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', results[0]?.conversationId as string)
      .where('direction', '=', 'in')
      .execute();
    expect(inbound).toHaveLength(10);
  });
});
