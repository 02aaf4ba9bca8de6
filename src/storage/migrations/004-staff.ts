import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';

/**
 * The staff console: accounts, sessions (only a hash of each token is stored, so a database dump
 * does not log anyone in), the audit log, canned replies and login attempts (kept in the database
 * so the login rate limit holds across processes). Plus the indexes the console's inbox, live
 * events and reports need to stay fast at tens of thousands of conversations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) => col.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(sql`now()`);

  await db.schema
    .createTable('staff_accounts')
    .addColumn('id', 'uuid', id)
    // Stored lower-cased, so uniqueness and login ignore case.
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'supervisor', 'admin')`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .execute();

  await db.schema
    .createTable('staff_sessions')
    .addColumn('id', 'uuid', id)
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('last_seen_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('staff_sessions_staff').on('staff_sessions').column('staff_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'uuid', id)
    // Null for a failed login with an unknown email: there is nobody to name.
    .addColumn('staff_id', 'uuid', (c) => c.references('staff_accounts.id').onDelete('set null'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('ip', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').column('created_at').execute();
  await db.schema
    .createIndex('audit_log_staff_time')
    .on('audit_log')
    .columns(['staff_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('canned_replies')
    .addColumn('id', 'uuid', id)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('staff_accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .execute();

  await db.schema
    .createTable('login_attempts')
    .addColumn('id', 'uuid', id)
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) =>
      c.notNull().check(sql`outcome in ('failed', 'succeeded', 'throttled', 'cleared')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema
    .createIndex('login_attempts_email_time')
    .on('login_attempts')
    .columns(['email', 'created_at'])
    .execute();
  await db.schema
    .createIndex('login_attempts_ip_time')
    .on('login_attempts')
    .columns(['ip', 'created_at'])
    .execute();
  await db.schema.createIndex('login_attempts_time').on('login_attempts').column('created_at').execute();

  // The inbox: «open» (most recent first) and «mine» read only open conversations.
  await db.schema
    .createIndex('conversations_open_recent')
    .on('conversations')
    .column('last_message_at desc')
    .where(sql.ref('mode'), '<>', 'closed')
    .execute();
  await db.schema
    .createIndex('conversations_assigned_open')
    .on('conversations')
    .columns(['assigned_to', 'last_message_at desc'])
    .where(sql.ref('mode'), '<>', 'closed')
    .execute();
  // Live events poll for conversations changed since the last tick.
  await db.schema.createIndex('conversations_updated').on('conversations').column('updated_at').execute();
  await db.schema
    .createIndex('conversations_last_message')
    .on('conversations')
    .column('last_message_at')
    .execute();
  // A contact's whole history across channels (the conversation view).
  await db.schema.createIndex('conversations_contact').on('conversations').column('contact_id').execute();
  // Delivery of staff replies shows up live in the console.
  await db.schema
    .createIndex('messages_staff_sent')
    .on('messages')
    .column('sent_at')
    .where(sql.ref('sender'), '=', 'staff')
    .execute();
  await db.schema
    .createIndex('escalations_conversation_time')
    .on('escalations')
    .columns(['conversation_id', 'created_at'])
    .execute();
  await db.schema.createIndex('escalations_time').on('escalations').column('created_at').execute();
  await db.schema.createIndex('support_requests_time').on('support_requests').column('created_at').execute();
  await db.schema.createIndex('ratings_conversation').on('ratings').column('conversation_id').execute();
  await db.schema.createIndex('ratings_request').on('ratings').column('request_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'ratings_request',
    'ratings_conversation',
    'support_requests_time',
    'escalations_time',
    'escalations_conversation_time',
    'messages_staff_sent',
    'conversations_contact',
    'conversations_last_message',
    'conversations_updated',
    'conversations_assigned_open',
    'conversations_open_recent',
  ]) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  for (const table of ['login_attempts', 'canned_replies', 'audit_log', 'staff_sessions', 'staff_accounts']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
