import type { Kysely } from 'kysely';

/**
 * What a bot message asks for, so a channel can offer a better input than the keyboard
 * (Telegram's «share my number» button for the mobile question).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('input_hint', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('input_hint').execute();
}
