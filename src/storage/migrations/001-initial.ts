import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';

/**
 * The initial schema. Migrations are append-only: a released migration is never edited, a
 * change is a new file. Everything here runs on PostgreSQL and on PGlite alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) => col.primaryKey().defaultTo(sql`gen_random_uuid()`);

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', id)
    .addColumn('display_name', 'text')
    .addColumn('phone_e164', 'text')
    .addColumn('phone_verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('ar'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Linking the same person across channels goes through a verified phone number.
  await db.schema
    .createIndex('contacts_verified_phone')
    .on('contacts')
    .column('phone_e164')
    .where(sql.ref('phone_verified'), '=', true)
    .execute();

  await db.schema
    .createTable('channel_identities')
    .addColumn('id', 'uuid', id)
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('web', 'telegram', 'whatsapp')`))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('phone_e164', 'text')
    .addColumn('unreachable_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('channel_identities_channel_external_id', ['channel', 'external_id'])
    .execute();
  await db.schema
    .createIndex('channel_identities_contact')
    .on('channel_identities')
    .column('contact_id')
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', id)
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('identity_id', 'uuid', (c) =>
      c.notNull().references('channel_identities.id').onDelete('cascade'),
    )
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('bot', 'waiting', 'staff', 'closed')`))
    .addColumn('flow_id', 'text')
    .addColumn('node_id', 'text')
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('ar'))
    .addColumn('assigned_to', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_message_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  // At most one open conversation per channel identity: the row every inbound message locks.
  await db.schema
    .createIndex('conversations_one_open_per_identity')
    .on('conversations')
    .column('identity_id')
    .unique()
    .where(sql.ref('mode'), '<>', 'closed')
    .execute();
  await db.schema
    .createIndex('conversations_mode_recent')
    .on('conversations')
    .columns(['mode', 'last_message_at'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', id)
    .addColumn('conversation_id', 'uuid', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('sender', 'text', (c) => c.notNull().check(sql`sender in ('contact', 'bot', 'staff')`))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('choices', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('media_kind', 'text')
    .addColumn('flow_id', 'text')
    .addColumn('node_id', 'text')
    .addColumn('reply_to_id', 'uuid', (c) => c.references('messages.id').onDelete('set null'))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('delivery_status', 'text', (c) =>
      c.check(sql`delivery_status in ('pending', 'sent', 'failed')`),
    )
    .addColumn('delivery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('delivery_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    // clock_timestamp(), not now(): rows written in one transaction still sort in order.
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  // A channel redelivering a message is recognised here.
  await db.schema
    .createIndex('messages_inbound_external_id')
    .on('messages')
    .columns(['channel', 'external_id'])
    .unique()
    .where(sql.ref('direction'), '=', 'in')
    .execute();
  await db.schema
    .createIndex('messages_conversation_time')
    .on('messages')
    .columns(['conversation_id', 'created_at'])
    .execute();
  await db.schema.createIndex('messages_reply_to').on('messages').column('reply_to_id').execute();
  await db.schema
    .createIndex('messages_pending_delivery')
    .on('messages')
    .column('created_at')
    .where(sql.ref('delivery_status'), '=', 'pending')
    .execute();

  await db.schema
    .createTable('support_requests')
    .addColumn('id', 'uuid', id)
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('conversation_id', 'uuid', (c) => c.references('conversations.id').onDelete('set null'))
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('national_id', 'text', (c) => c.notNull())
    .addColumn('mobile_e164', 'text', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('support_type', 'text', (c) => c.notNull())
    .addColumn('family_size', 'integer', (c) => c.notNull().check(sql`family_size between 1 and 100`))
    .addColumn('monthly_income', 'numeric(12, 2)', (c) => c.notNull().check(sql`monthly_income >= 0`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('support_requests_contact')
    .on('support_requests')
    .columns(['contact_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('support_requests_status')
    .on('support_requests')
    .columns(['status', 'created_at'])
    .execute();

  await db.schema
    .createTable('request_status_history')
    .addColumn('id', 'uuid', id)
    .addColumn('request_id', 'uuid', (c) => c.notNull().references('support_requests.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema
    .createIndex('request_status_history_request')
    .on('request_status_history')
    .columns(['request_id', 'changed_at'])
    .execute();

  await db.schema
    .createTable('ratings')
    .addColumn('id', 'uuid', id)
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.references('conversations.id').onDelete('set null'))
    .addColumn('request_id', 'uuid', (c) => c.references('support_requests.id').onDelete('set null'))
    .addColumn('score', 'integer', (c) => c.notNull().check(sql`score between 1 and 5`))
    .addColumn('comment', 'text')
    .addColumn('flagged', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ratings_time').on('ratings').column('created_at').execute();

  await db.schema
    .createTable('escalations')
    .addColumn('id', 'uuid', id)
    .addColumn('conversation_id', 'uuid', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'cancelled', 'resolved')`))
    .addColumn('from_flow', 'text')
    .addColumn('from_node', 'text')
    .addColumn('assigned_to', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('escalations_one_open_per_conversation')
    .on('escalations')
    .column('conversation_id')
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();

  await db.schema
    .createTable('lookup_throttle')
    .addColumn('contact_id', 'uuid', (c) => c.primaryKey().references('contacts.id').onDelete('cascade'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('blocked_until', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'lookup_throttle',
    'escalations',
    'ratings',
    'request_status_history',
    'support_requests',
    'messages',
    'conversations',
    'channel_identities',
    'contacts',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
