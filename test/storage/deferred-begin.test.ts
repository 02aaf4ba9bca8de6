import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { andCommit, deferBegin } from '../../src/storage/deferred-begin.js';
import { TEST_DATABASE_URL } from '../support/databases.js';

interface Db {
  deferred_begin_probe: { id: number; note: string };
}

/**
 * BEGIN travels with a transaction's first statement (one round trip fewer per transaction)
 * on the real PostgreSQL, and transactions behave exactly as before.
 */
describe('BEGIN sent with the first statement (PostgreSQL)', () => {
  const schema = `test_begin_${Math.random().toString(36).slice(2, 10)}`;
  let pool: pg.Pool;
  let db: Kysely<Db>;

  beforeAll(async () => {
    // One connection: every transaction below reuses the session the previous one left.
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
    db = new Kysely<Db>({ dialect: new PostgresDialect({ pool: deferBegin(pool) }) });
    await sql`create schema ${sql.id(schema)}`.execute(db);
    await sql`create table deferred_begin_probe (id int primary key, note text not null)`.execute(db);
  });
  afterAll(async () => {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  const notes = async () =>
    (await db.selectFrom('deferred_begin_probe').select('note').orderBy('id').execute()).map((r) => r.note);

  /** Runs `work`, returning the texts it handed node-postgres (one per round trip). */
  async function roundTrips(work: () => Promise<unknown>): Promise<unknown[]> {
    const sent: unknown[] = [];
    const realQuery = pg.Client.prototype.query;
    const counting = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const [first] = args as [string | { text?: string }];
      sent.push(typeof first === 'string' ? first : first.text);
      return Reflect.apply(realQuery, this, args) as never;
    });
    try {
      await work();
    } finally {
      counting.mockRestore();
    }
    return sent;
  }

  it('sends no BEGIN of its own: a two-statement transaction is three round trips', async () => {
    const sent = await roundTrips(() =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 1, note: 'first' }).execute();
        await trx.insertInto('deferred_begin_probe').values({ id: 2, note: 'second' }).execute();
      }),
    );
    expect(sent).toHaveLength(3);
    expect(sent.some((text) => typeof text === 'string' && /^\s*begin\s*$/i.test(text))).toBe(false);
    expect(sent[2]).toBe('commit');
    expect(await notes()).toEqual(['first', 'second']);
  });

  it('runs the first statement inside the transaction: a rollback undoes it', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 3, note: 'undone' }).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await notes()).toEqual(['first', 'second']);
  });

  it('keeps one transaction time across statements (now() is the transaction start)', async () => {
    const [a, b] = await db.transaction().execute(async (trx) => {
      const first = await sql<{ at: Date }>`select now() as at`.execute(trx);
      const second = await sql<{ at: Date }>`select now() as at from pg_sleep(0.05)`.execute(trx);
      return [first.rows[0]?.at, second.rows[0]?.at];
    });
    expect(a?.getTime()).toBe(b?.getTime());
  });

  it('fails a transaction whose first statement fails, rolls it back, and the session stays usable', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 1, note: 'duplicate key' }).execute();
      }),
    ).rejects.toThrow(/duplicate key/);
    const state = await sql<{ status: string }>`select 'ok' as status`.execute(db);
    expect(state.rows[0]?.status).toBe('ok');
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('deferred_begin_probe').values({ id: 4, note: 'after the failure' }).execute();
    });
    expect(await notes()).toEqual(['first', 'second', 'after the failure']);
  });

  it('ends a transaction that ran nothing without a word to the server, either way', async () => {
    await db.transaction().execute(async () => undefined);
    await expect(
      db.transaction().execute(async () => {
        throw new Error('nothing done');
      }),
    ).rejects.toThrow('nothing done');
    // Had a stray BEGIN been left open, this would run inside it and be lost with the session.
    const inTransaction = await sql<{ open: boolean }>`select now() <> statement_timestamp() as open`.execute(
      db,
    );
    expect(inTransaction.rows[0]?.open).toBe(false);
  });

  const insert = (id: number, note: string) =>
    andCommit(db.insertInto('deferred_begin_probe').values({ id, note }).returning('note').compile());

  it('sends COMMIT with a statement marked andCommit: a two-statement transaction is two round trips', async () => {
    let returned: unknown;
    const sent = await roundTrips(() =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 10, note: 'ten' }).execute();
        returned = (await trx.executeQuery(insert(11, 'eleven'))).rows;
      }),
    );
    expect(sent).toHaveLength(2);
    expect(sent.some((text) => typeof text === 'string' && /^\s*commit\s*$/i.test(text))).toBe(false);
    // The marked statement's own rows come back, not COMMIT's.
    expect(returned).toEqual([{ note: 'eleven' }]);
    // Committed: another session sees both rows.
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await other.connect();
    try {
      const { rows } = await other.query(
        'select note from deferred_begin_probe where id in (10, 11) order by id',
      );
      expect(rows.map((row) => row.note)).toEqual(['ten', 'eleven']);
    } finally {
      await other.end();
    }
  });

  it('runs a transaction made of one marked statement as that statement alone', async () => {
    const sent = await roundTrips(() =>
      db.transaction().execute(async (trx) => {
        await trx.executeQuery(insert(12, 'twelve'));
      }),
    );
    expect(sent).toHaveLength(1);
    expect(await notes()).toContain('twelve');
    const open = await sql<{ open: boolean }>`select now() <> statement_timestamp() as open`.execute(db);
    expect(open.rows[0]?.open).toBe(false);
  });

  it('rolls back the whole transaction when the marked statement fails (its COMMIT is skipped)', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 13, note: 'undone' }).execute();
        await trx.executeQuery(insert(10, 'duplicate key'));
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await notes()).not.toContain('undone');
    const state = await sql<{ status: string }>`select 'ok' as status`.execute(db);
    expect(state.rows[0]?.status).toBe('ok');
  });

  it('refuses a statement after the marked one: it would run outside the transaction', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('deferred_begin_probe').values({ id: 14, note: 'fourteen' }).execute();
        await trx.executeQuery(insert(15, 'fifteen'));
        await trx.insertInto('deferred_begin_probe').values({ id: 16, note: 'too late' }).execute();
      }),
    ).rejects.toThrow(/after its transaction committed/);
    const after = await notes();
    expect(after).toEqual(expect.arrayContaining(['fourteen', 'fifteen']));
    expect(after).not.toContain('too late');
    // The connection is back to normal for the next transaction.
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('deferred_begin_probe').values({ id: 17, note: 'next' }).execute();
    });
    expect(await notes()).toContain('next');
  });

  it('passes an isolation level through as START TRANSACTION', async () => {
    const level = await db
      .transaction()
      .setIsolationLevel('serializable')
      .execute(
        async (trx) =>
          (
            await sql<{ level: string }>`select current_setting('transaction_isolation') as level`.execute(
              trx,
            )
          ).rows[0]?.level,
      );
    expect(level).toBe('serializable');
  });
});
