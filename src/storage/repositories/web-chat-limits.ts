import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/** One hit counted: how many in the key's window so far, and how long until it ends. */
export interface CountedHit {
  hits: number;
  ttlMs: number;
}

/**
 * Counts a hit on `key` in one statement: the first hit, or the first after the key's window
 * ended, starts a window of `windowMs` at 1; any other adds one. Concurrent hits on a key queue
 * on its row, so none is lost between processes; the window is the database's clock.
 */
export async function countHit(db: Kysely<Database>, key: string, windowMs: number): Promise<CountedHit> {
  const result = await sql<{ hits: number; ttl_ms: number }>`
    insert into web_chat_limit_counts as c (key, hits, expires_at)
    values (${key}, 1, now() + make_interval(secs => ${windowMs / 1000}))
    on conflict (key) do update set
      hits = case when c.expires_at <= now() then 1 else c.hits + 1 end,
      expires_at = case when c.expires_at <= now() then excluded.expires_at else c.expires_at end
    returning hits, extract(epoch from expires_at - now())::float8 * 1000 as ttl_ms`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('web_chat_limit_counts: the upsert returned no row');
  return { hits: row.hits, ttlMs: Math.max(0, row.ttl_ms) };
}

/** Removes the counts whose window has ended (a later hit on their key would start afresh anyway). */
export async function deleteEndedCounts(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('web_chat_limit_counts').where('expires_at', '<=', sql<Date>`now()`).execute();
}

/** The installation's secret of that name (made by a migration). */
export async function installSecret(db: Kysely<Database>, name: string): Promise<string> {
  const row = await db
    .selectFrom('install_secrets')
    .select('secret')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new Error(`install_secrets has no "${name}" secret (migration 007 makes it)`);
  return row.secret;
}
