/**
 * `npm run staff:create -- --email a@b.c --password '…' --role admin [--name …]`: creates a staff
 * account in the configured database (DATABASE_URL, or the embedded one in DATA_DIR), running
 * migrations first. The way to create the first admin. One line on success or on error; exit 1
 * on error.
 */
import { ConfigError, loadConfig } from '../config.js';
import { safeError } from '../logger.js';
import { parseStaffCreateArgs, UsageError } from '../staff/create-account-args.js';
import { StaffApiError } from '../staff/errors.js';
import { createStaffAccount } from '../staff/storage/accounts.js';
import { staffDb } from '../staff/storage/schema.js';
import { DataDirInUseError } from '../storage/data-dir-lock.js';
import { openDatabase } from '../storage/database.js';

async function main(): Promise<number> {
  try {
    const input = parseStaffCreateArgs(process.argv.slice(2));
    const config = loadConfig();
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      dataDir: config.DATA_DIR,
    });
    try {
      const account = await createStaffAccount(staffDb(database.db), input);
      console.log(`staff:create: created ${account.role} account ${account.email} (${account.id})`);
      return 0;
    } finally {
      await database.close();
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof StaffApiError ||
      error instanceof DataDirInUseError
    ) {
      console.error(`staff:create: ${error.message}`);
    } else {
      // Anything else (database unreachable…): kind and a digit-masked message, never the password.
      const { type, message } = safeError(error);
      console.error(`staff:create: ${type}: ${message}`);
    }
    return 1;
  }
}

process.exitCode = await main();
