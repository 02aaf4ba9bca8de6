import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferBegin } from '../../src/storage/deferred-begin.js';
import { isStalePreparedStatement, StatementNamer } from '../../src/storage/statement-cache.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { TEST_DATABASE_URL } from '../support/databases.js';

interface Db {
  probe: { id: number; note: string };
}

interface Prepared {
  statement: string;
  executions: number;
}

/**
 * Repeated statements run as server-side prepared statements on the real PostgreSQL: prepared
 * once per connection after a few uses, reused, bounded per connection, and dropped when a
 * schema change makes them stale.
 */
describe('prepared statements for repeated SQL (PostgreSQL)', () => {
  const schema = `test_prepare_${Math.random().toString(36).slice(2, 10)}`;
  let pool: pg.Pool;
  let db: Kysely<Db>;
  /** The same connection without a namer: looks at pg_prepared_statements without adding to it. */
  let probe: Kysely<Db>;

  beforeAll(async () => {
    // One connection, so pg_prepared_statements (per session) shows everything the tests did.
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
    db = new Kysely<Db>({
      dialect: new PostgresDialect({
        pool: deferBegin(pool, new StatementNamer({ threshold: 2, capacity: 3 })),
      }),
    });
    probe = new Kysely<Db>({ dialect: new PostgresDialect({ pool: deferBegin(pool) }) });
    await sql`create schema ${sql.id(schema)}`.execute(probe);
    await sql`create table probe (id int primary key, note text not null)`.execute(probe);
    await probe
      .insertInto('probe')
      .values([1, 2, 3, 4, 5].map((id) => ({ id, note: `note ${id}` })))
      .execute();
  });
  afterAll(async () => {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(probe);
    await db.destroy();
  });

  const prepared = async (): Promise<Prepared[]> =>
    (
      await sql<Prepared>`select statement, (generic_plans + custom_plans)::int as executions
        from pg_prepared_statements where name like 'aiou\\_%' order by prepare_time`.execute(probe)
    ).rows;
  const noteById = (id: number) => db.selectFrom('probe').select('note').where('id', '=', id);

  it('runs a new text unnamed, prepares it at the threshold, and reuses it with other values', async () => {
    expect((await noteById(1).executeTakeFirst())?.note).toBe('note 1');
    expect(await prepared()).toEqual([]);
    expect((await noteById(2).executeTakeFirst())?.note).toBe('note 2');
    expect((await noteById(3).executeTakeFirst())?.note).toBe('note 3');
    expect((await noteById(4).executeTakeFirst())?.note).toBe('note 4');
    const statements = await prepared();
    expect(statements).toHaveLength(1);
    expect(statements[0]?.statement).toBe(noteById(0).compile().sql);
    // Prepared at the second use, then run for the third and fourth: three executions, one parse.
    expect(statements[0]?.executions).toBe(3);
  });

  it('keeps at most `capacity` per connection, least recently used out first', async () => {
    const shapes = [
      () => db.selectFrom('probe').select('id').where('note', '=', 'note 2'),
      () => db.selectFrom('probe').select(['id', 'note']).where('id', '>', 3).orderBy('id'),
      () =>
        db
          .selectFrom('probe')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('id', '<', 3),
    ];
    for (const shape of shapes) {
      await shape().execute();
      await shape().execute();
    }
    const texts = (await prepared()).map((row) => row.statement);
    expect(texts).toHaveLength(3);
    expect(texts).not.toContain(noteById(0).compile().sql);
    expect(texts).toEqual(shapes.map((shape) => shape().compile().sql));
    // The evicted one is prepared again when it comes back, and answers correctly.
    expect((await noteById(5).executeTakeFirst())?.note).toBe('note 5');
    expect((await prepared()).map((row) => row.statement)).toContain(noteById(0).compile().sql);
    expect(await prepared()).toHaveLength(3);
  });

  it('runs a prepared statement as a transaction’s first statement, inside the transaction', async () => {
    const insert = (id: number) =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('probe').values({ id, note: 'in a transaction' }).execute();
        if (id === 12) throw new Error('roll back');
      });
    await insert(10);
    await insert(11);
    await expect(insert(12)).rejects.toThrow('roll back');
    const ids = await db.selectFrom('probe').select('id').where('note', '=', 'in a transaction').execute();
    expect(ids.map((row) => row.id).sort()).toEqual([10, 11]);
    expect((await prepared()).map((row) => row.statement)).toContain(
      db.insertInto('probe').values({ id: 0, note: '' }).compile().sql,
    );
  });

  it('drops the statements a schema change made stale; the next run sees the new table', async () => {
    const everything = () => db.selectFrom('probe').selectAll().where('id', '=', 1);
    await everything().execute();
    await everything().execute();
    await sql`alter table probe add column extra text not null default 'added'`.execute(probe);
    const failure = await everything()
      .execute()
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(isStalePreparedStatement(failure)).toBe(true);
    const row = (await everything().executeTakeFirst()) as Record<string, unknown> | undefined;
    expect(row?.extra).toBe('added');
  });

  it('prepares nothing without a namer (DATABASE_PREPARED_STATEMENTS=false)', async () => {
    await sql`deallocate all`.execute(probe);
    for (let i = 0; i < 5; i++) await probe.selectFrom('probe').select('id').where('id', '=', i).execute();
    expect(await prepared()).toEqual([]);
  });
});

describe('a turn after a migration changed a table under a prepared statement (PostgreSQL)', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await createTestBot('postgres');
  });
  afterAll(async () => {
    await bot.close();
    await bot.drop();
  });

  const say = (text: string, seq: number) =>
    bot.inbox.receive({ channel: 'web', externalUserId: 'stale-1', externalMessageId: `stale-${seq}`, text });

  it('is run again, not answered with the apology', async () => {
    // Enough turns for the inbox's statements to be prepared on the pool's connections.
    for (let seq = 0; seq < 6; seq++) await say('السلام عليكم', seq);
    await sql`alter table conversations add column later_column text`.execute(bot.database.db);
    const result = await say('متى يردون على الطلب؟', 100);
    expect(result.replies.map((reply) => `${reply.flowId}/${reply.nodeId}`)).toContain('faq/decision_time');
    expect(result.replies.some((reply) => reply.nodeId === 'error')).toBe(false);
  });
});
