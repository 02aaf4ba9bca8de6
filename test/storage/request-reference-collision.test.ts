import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveIdentity } from '../../src/storage/repositories/contacts.js';
import { createSupportRequest, requestStatusHistory } from '../../src/storage/repositories/requests.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';

/** References handed out in turn: the second request is first offered the first one's. */
const offered = vi.hoisted(() => ({ queue: [] as string[] }));
vi.mock('../../src/domain/reference.js', async (original) => ({
  ...(await original<typeof import('../../src/domain/reference.js')>()),
  generateReference: () => offered.queue.shift() ?? '99999997',
}));

describe.each(DIALECTS)('a reference collision on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('retries under a new reference inside the same transaction, with one history entry per request', async () => {
    const db = database.handle.db;
    const { contact } = await resolveIdentity(db, { channel: 'web', externalId: `collide-${dialect}` });
    const fields = {
      contactId: contact.id,
      conversationId: null,
      fullName: 'محمد عبدالله القحطاني',
      nationalId: '1000000008',
      mobileE164: '+966551234567',
      city: 'الرياض',
      supportType: 'financial' as const,
      familySize: 5,
      monthlyIncome: 3000,
      description: 'نحتاج مساعدة في دفع الإيجار',
    };
    offered.queue.push('12345674', '12345674', '76543214');
    const [first, second] = await db
      .transaction()
      .execute(async (trx) => [
        await createSupportRequest(trx, fields),
        await createSupportRequest(trx, fields),
      ]);
    expect(first?.reference).toBe('12345674');
    expect(second?.reference).toBe('76543214');
    expect(offered.queue).toEqual([]);
    for (const request of [first, second]) {
      const history = await requestStatusHistory(db, request?.id as string);
      expect(history.map((entry) => [entry.status, entry.changed_by, entry.note])).toEqual([
        ['submitted', 'beneficiary', null],
      ]);
    }
    const all = await db.selectFrom('request_status_history').select('request_id').execute();
    expect(all).toHaveLength(2);
  });
});
