import { z } from 'zod';
import { STAFF_ROLES } from './roles.js';

/** Shared input rules for staff accounts (the API and the staff:create command use the same). */
export const PASSWORD_MIN_LENGTH = 12;
/** scrypt hashes any length in the same time, but an upper bound keeps request bodies small. */
export const PASSWORD_MAX_LENGTH = 256;

export const staffEmail = z
  .string()
  .trim()
  .max(254, 'an email address has at most 254 characters')
  .pipe(z.email('expected an email address'))
  .transform((email) => email.toLowerCase());

export const staffName = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(100, 'a name has at most 100 characters')
  // Control characters would corrupt the audit log's and CSV's lines.
  .regex(/^[^\p{Cc}]*$/u, 'a name cannot contain control characters');

export const staffPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `a password has at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `a password has at most ${PASSWORD_MAX_LENGTH} characters`);

export const staffRole = z.enum(STAFF_ROLES, { error: `expected one of: ${STAFF_ROLES.join(', ')}` });

export const newStaffAccount = z.object({
  email: staffEmail,
  name: staffName,
  password: staffPassword,
  role: staffRole,
});
export type NewStaffAccount = z.output<typeof newStaffAccount>;

/** Path parameter `:id` for rows with uuid keys (any uuid PostgreSQL accepts, not only RFC 4122 versions). */
export const idParams = z.object({ id: z.guid('expected an id') });
