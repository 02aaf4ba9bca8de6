import { createHash, randomBytes } from 'node:crypto';
import type { StaffRole } from '../roles.js';
import type { StaffDb } from '../storage/schema.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** …and in any case this long after login. */
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen_at is written at most this often: one write per request would double the load. */
const TOUCH_INTERVAL_MS = 60 * 1000;

/** The staff member behind a valid session, as every route sees them. */
export interface StaffSession {
  sessionId: string;
  /** The cookie's token; needed to derive the CSRF token, never stored. */
  token: string;
  staff: { id: string; email: string; name: string; role: StaffRole };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Opens a session: returns the random token for the cookie; only its hash is stored. */
export async function createSession(db: StaffDb, staffId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('staff_sessions')
    .values({ token_hash: hashToken(token), staff_id: staffId })
    .execute();
  // A good moment to forget this person's expired sessions.
  await db
    .deleteFrom('staff_sessions')
    .where('staff_id', '=', staffId)
    .where((eb) =>
      eb.or([
        eb('last_seen_at', '<', new Date(Date.now() - SESSION_IDLE_MS)),
        eb('created_at', '<', new Date(Date.now() - SESSION_ABSOLUTE_MS)),
      ]),
    )
    .execute();
  return token;
}

const TOKEN_SHAPE = /^[\w-]{43}$/;

/**
 * The session for a cookie token, if it exists, has not expired and its account is enabled.
 * Role and name are read fresh on every request, so a demotion takes effect at once.
 */
export async function findSession(
  db: StaffDb,
  token: string,
  now = new Date(),
): Promise<StaffSession | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const row = await db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff_accounts as a', 'a.id', 's.staff_id')
    .select([
      's.id',
      's.created_at',
      's.last_seen_at',
      'a.id as staff_id',
      'a.email',
      'a.name',
      'a.role',
      'a.disabled',
    ])
    .where('s.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) return undefined;
  const expired =
    now.getTime() - row.last_seen_at.getTime() > SESSION_IDLE_MS ||
    now.getTime() - row.created_at.getTime() > SESSION_ABSOLUTE_MS;
  if (expired || row.disabled) {
    await db.deleteFrom('staff_sessions').where('id', '=', row.id).execute();
    return undefined;
  }
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    await db.updateTable('staff_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  }
  return {
    sessionId: row.id,
    token,
    staff: { id: row.staff_id, email: row.email, name: row.name, role: row.role },
  };
}

export async function deleteSession(db: StaffDb, sessionId: string): Promise<void> {
  await db.deleteFrom('staff_sessions').where('id', '=', sessionId).execute();
}

/** Logs a staff member out everywhere (password changed, account disabled), except `keep`. */
export async function deleteSessionsOf(db: StaffDb, staffId: string, keep?: string): Promise<void> {
  let query = db.deleteFrom('staff_sessions').where('staff_id', '=', staffId);
  if (keep) query = query.where('id', '<>', keep);
  await query.execute();
}
