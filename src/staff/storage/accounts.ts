import { hashPassword } from '../auth/passwords.js';
import { StaffApiError } from '../errors.js';
import type { StaffRole } from '../roles.js';
import { type NewStaffAccount, newStaffAccount } from '../validation.js';
import type { StaffAccount, StaffDb } from './schema.js';

/** An account as the API shows it: never the password hash. */
export interface StaffAccountView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  createdAt: string;
}

export function accountView(account: StaffAccount): StaffAccountView {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    role: account.role,
    disabled: account.disabled,
    createdAt: account.created_at.toISOString(),
  };
}

/**
 * Creates a staff account (the API's admin route and `npm run staff:create`). Validates the
 * input itself, so no caller can skip the rules; a taken email is an `email_taken` error.
 */
export async function createStaffAccount(
  db: StaffDb,
  input: NewStaffAccount | Record<string, unknown>,
): Promise<StaffAccountView> {
  const account = newStaffAccount.parse(input);
  const created = await db
    .insertInto('staff_accounts')
    .values({
      email: account.email,
      name: account.name,
      role: account.role,
      password_hash: await hashPassword(account.password),
    })
    .onConflict((conflict) => conflict.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!created)
    throw new StaffApiError('email_taken', `an account with the email ${account.email} already exists`);
  return accountView(created);
}

export async function listAccounts(db: StaffDb): Promise<StaffAccountView[]> {
  const rows = await db.selectFrom('staff_accounts').selectAll().orderBy('name').orderBy('email').execute();
  return rows.map(accountView);
}

/** A colleague as any signed-in staff member sees them: who they are, not how the account is set up. */
export interface ColleagueView {
  id: string;
  name: string;
  email: string;
  role: StaffRole;
}

/** Active accounts other than `exceptId`: the people a conversation can be transferred to. */
export async function listColleagues(db: StaffDb, exceptId: string): Promise<ColleagueView[]> {
  return db
    .selectFrom('staff_accounts')
    .select(['id', 'name', 'email', 'role'])
    .where('disabled', '=', false)
    .where('id', '!=', exceptId)
    .orderBy('name')
    .orderBy('email')
    .execute();
}

export async function findAccountByEmail(db: StaffDb, email: string): Promise<StaffAccount | undefined> {
  return db.selectFrom('staff_accounts').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findAccount(db: StaffDb, id: string): Promise<StaffAccount | undefined> {
  return db.selectFrom('staff_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface AccountChanges {
  name?: string | undefined;
  role?: StaffRole | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}

/**
 * Applies an admin's changes to an account. Refuses (`last_admin`) a change that would leave no
 * enabled admin: the enabled admins are locked first, so two admins demoting each other at the
 * same moment cannot both succeed.
 */
export async function updateAccount(
  db: StaffDb,
  id: string,
  changes: AccountChanges,
): Promise<StaffAccountView> {
  const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
  return db.transaction().execute(async (trx) => {
    const admins = await trx
      .selectFrom('staff_accounts')
      .select('id')
      .where('role', '=', 'admin')
      .where('disabled', '=', false)
      .forUpdate()
      .execute();
    const updated = await trx
      .updateTable('staff_accounts')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.role !== undefined ? { role: changes.role } : {}),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
        ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new StaffApiError('not_found', 'staff account not found');
    const wasAdmin = admins.some((admin) => admin.id === id);
    const stillAdmin = updated.role === 'admin' && !updated.disabled;
    if (wasAdmin && !stillAdmin && admins.length === 1) {
      throw new StaffApiError(
        'last_admin',
        'this is the only enabled admin account; create another admin first',
      );
    }
    return accountView(updated);
  });
}
