import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { StaffRole } from '../roles.js';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: written as a JSON string, read back parsed. */
type Json<T> = ColumnType<T, string, string>;

export interface StaffAccountsTable {
  id: Generated<string>;
  /** Lower-cased. */
  email: string;
  name: string;
  role: StaffRole;
  /** `scrypt$…` (see auth/passwords.ts); never leaves the server. */
  password_hash: string;
  disabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface StaffSessionsTable {
  id: Generated<string>;
  /** sha256 of the cookie's token: the token itself is never stored. */
  token_hash: string;
  staff_id: string;
  created_at: CreatedAt;
  last_seen_at: UpdatedAt;
}

export interface AuditLogTable {
  id: Generated<string>;
  staff_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** What changed (statuses, roles, field names) — never the personal data itself. */
  details: Json<Record<string, unknown>>;
  ip: string | null;
  created_at: CreatedAt;
}

export interface CannedRepliesTable {
  id: Generated<string>;
  title: string;
  text: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type LoginOutcome = 'failed' | 'succeeded' | 'throttled' | 'cleared';

export interface LoginAttemptsTable {
  id: Generated<string>;
  email: string;
  ip: string;
  outcome: LoginOutcome;
  created_at: CreatedAt;
}

/** The console's own tables (migration 004), kept apart from the bot's schema. */
// A type alias, not an interface: withTables() needs an index-signature-compatible record.
export type StaffTables = {
  staff_accounts: StaffAccountsTable;
  staff_sessions: StaffSessionsTable;
  audit_log: AuditLogTable;
  canned_replies: CannedRepliesTable;
  login_attempts: LoginAttemptsTable;
};

export type StaffDatabase = Database & StaffTables;
export type StaffDb = Kysely<StaffDatabase>;
export type StaffAccount = Selectable<StaffAccountsTable>;

/** The bot's database seen with the console's tables too. */
export function staffDb(db: Kysely<Database>): StaffDb {
  return db.withTables<StaffTables>();
}

/**
 * The same connection seen with the bot's tables only, for the bot's repositories. Kysely's types
 * are invariant in the schema, so widening cannot be inferred; every bot table is still there.
 */
export function botDb(db: StaffDb): Kysely<Database> {
  return db as unknown as Kysely<Database>;
}
