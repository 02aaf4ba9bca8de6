import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countHit,
  deleteEndedCounts,
  installSecret,
} from '../../src/storage/repositories/web-chat-limits.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { sleep } from '../support/follow-up-bots.js';

/**
 * The counts behind the web chat's flood limits on PostgreSQL without Redis (migration 007):
 * one upsert per hit, shared by every process, on the database's clock.
 */
describe('web chat limit counts (PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('counts hits in a window and starts afresh once it has ended', async () => {
    const { db } = database.handle;
    const key = `visitor:${randomUUID()}`;
    const first = await countHit(db, key, 400);
    expect(first.hits).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(0);
    expect(first.ttlMs).toBeLessThanOrEqual(400);
    const second = await countHit(db, key, 400);
    expect(second.hits).toBe(2);
    // The same window: its end does not move.
    expect(second.ttlMs).toBeLessThanOrEqual(first.ttlMs);
    await sleep(450);
    const afresh = await countHit(db, key, 400);
    expect(afresh.hits).toBe(1);
    expect(afresh.ttlMs).toBeGreaterThan(300);
  });

  it('loses no hit when many arrive at once, from several connections', async () => {
    const other = await database.reopen();
    const key = `address:${randomUUID()}`;
    const counted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => countHit((i % 2 ? other : database.handle).db, key, 60_000)),
    );
    expect(counted.map((hit) => hit.hits).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('deletes only the counts whose window has ended', async () => {
    const { db } = database.handle;
    const ended = `visitor:${randomUUID()}`;
    const running = `visitor:${randomUUID()}`;
    await countHit(db, ended, 50);
    await countHit(db, running, 60_000);
    await sleep(100);
    await deleteEndedCounts(db);
    const keys = (await db.selectFrom('web_chat_limit_counts').select('key').execute()).map((row) => row.key);
    expect(keys).toContain(running);
    expect(keys).not.toContain(ended);
  });

  it('keeps the counts in an unlogged table, and a random secret per installation', async () => {
    const { db } = database.handle;
    const persistence = await sql<{ relpersistence: string }>`
      select relpersistence from pg_class
      where oid = ${`${database.schema}.web_chat_limit_counts`}::regclass`.execute(db);
    expect(persistence.rows[0]?.relpersistence).toBe('u');

    const secret = await installSecret(db, 'web_chat_limits');
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const another = await openTestDatabase('postgres');
    try {
      expect(await installSecret(another.handle.db, 'web_chat_limits')).not.toBe(secret);
    } finally {
      await another.drop();
    }
  });
});
