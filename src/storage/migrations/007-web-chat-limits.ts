import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/**
 * The web chat's flood limits counted in PostgreSQL, so that every process behind a load balancer
 * shares them when there is no Redis (src/http/web-chat-limits.ts). One row per counted key: the
 * hits in its window and when that window ends (the database's clock, shared by every process).
 * UNLOGGED: a minute's counts are not worth a WAL write per message, are not needed on a replica,
 * and may start again from zero after a crash.
 *
 * The keys are HMACs of the visitor id and of the client address, never the values themselves
 * (an address is personal data, a visitor id the key to a conversation), under a random secret
 * made here once per installation and kept in `install_secrets`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('web_chat_limit_counts')
    .modifyFront(sql`unlogged`)
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('install_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`insert into install_secrets (name, secret)
    values ('web_chat_limits', ${randomBytes(32).toString('base64url')})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('install_secrets').ifExists().execute();
  await db.schema.dropTable('web_chat_limit_counts').ifExists().execute();
}
