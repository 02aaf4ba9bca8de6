import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { type NewStaffAccount, newStaffAccount } from './validation.js';

/** A problem with the command line, as one line for the terminal. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const STAFF_CREATE_USAGE =
  "usage: npm run staff:create -- --email <email> --password '<at least 12 characters>' --role agent|supervisor|admin [--name <name>]";

/**
 * Reads `--email --password --role [--name]` and validates them with the same rules as the API.
 * Without `--name`, the part of the email before @ is used.
 */
export function parseStaffCreateArgs(argv: readonly string[]): NewStaffAccount {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${STAFF_CREATE_USAGE}`);
  }
  for (const required of ['email', 'password', 'role'] as const) {
    if (values[required] === undefined)
      throw new UsageError(`--${required} is required\n${STAFF_CREATE_USAGE}`);
  }
  const name = values.name ?? values.email?.split('@')[0];
  try {
    return newStaffAccount.parse({ email: values.email, password: values.password, role: values.role, name });
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const issue = error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? 'input')}: ${issue?.message ?? 'invalid'}`);
  }
}
