import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { verifyPassword } from '../../src/staff/auth/passwords.js';
import { parseStaffCreateArgs, UsageError } from '../../src/staff/create-account-args.js';
import { StaffApiError } from '../../src/staff/errors.js';
import { createStaffAccount } from '../../src/staff/storage/accounts.js';
import { staffDb } from '../../src/staff/storage/schema.js';
import { openDatabase } from '../../src/storage/database.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(TSX, [join(PROJECT_ROOT, 'src/cli/staff-create.ts'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('staff:create arguments', () => {
  it('validates with the API’s rules and names the option at fault in one line', () => {
    expect(
      parseStaffCreateArgs([
        '--email',
        'Admin@Example.org',
        '--password',
        'a long enough password',
        '--role',
        'admin',
      ]),
    ).toEqual({
      email: 'admin@example.org',
      name: 'Admin',
      password: 'a long enough password',
      role: 'admin',
    });
    const cases: Array<[string[], RegExp]> = [
      [
        ['--email', 'a@b.co', '--password', 'short', '--role', 'admin'],
        /^--password: a password has at least 12 characters$/,
      ],
      [
        ['--email', 'a@b.co', '--password', 'a long enough password', '--role', 'root'],
        /^--role: expected one of: agent, supervisor, admin$/,
      ],
      [
        ['--email', 'nope', '--password', 'a long enough password', '--role', 'agent'],
        /^--email: expected an email address$/,
      ],
      [['--password', 'a long enough password', '--role', 'agent'], /^--email is required\n/],
      [
        ['--email', 'a@b.co', '--password', 'a long enough password', '--role', 'agent', '--admin'],
        /Unknown option '--admin'/,
      ],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseStaffCreateArgs(argv)).toThrow(UsageError);
      expect(() => parseStaffCreateArgs(argv)).toThrow(message);
    }
  });
});

for (const kind of DIALECTS) {
  describe(`createStaffAccount (${kind})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await openTestDatabase(kind);
    });
    afterAll(() => database.drop());

    it('stores a scrypt hash, never the password, and refuses a second account with the same email', async () => {
      const db = staffDb(database.handle.db);
      const account = await createStaffAccount(db, {
        email: 'Lead@Example.org',
        name: 'Lead',
        password: 'a long enough password',
        role: 'admin',
      });
      expect(account).toMatchObject({
        email: 'lead@example.org',
        name: 'Lead',
        role: 'admin',
        disabled: false,
      });
      const row = await db
        .selectFrom('staff_accounts')
        .selectAll()
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^scrypt\$15\$8\$1\$[\w-]+\$[\w-]+$/);
      expect(row.password_hash).not.toContain('a long enough password');
      expect(await verifyPassword('a long enough password', row.password_hash)).toBe(true);
      expect(await verifyPassword('a long enough passworD', row.password_hash)).toBe(false);
      await expect(
        createStaffAccount(db, {
          email: 'lead@example.org',
          name: 'Again',
          password: 'another long password',
          role: 'agent',
        }),
      ).rejects.toThrow(StaffApiError);
      await expect(
        createStaffAccount(db, { email: 'x@example.org', name: 'X', password: 'short', role: 'agent' }),
      ).rejects.toThrow('at least 12 characters');
    });
  });
}

describe('npm run staff:create', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'staff-create-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('refuses in one line while another process has the embedded database open, and takes it over once that process is gone', async () => {
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'test/storage/fixtures/hold-database.ts')],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATA_DIR: dataDir },
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const refused = await run(
        ['--email', 'busy@example.org', '--password', 'busy password!!', '--role', 'agent'],
        {
          DATA_DIR: dataDir,
        },
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `staff:create: the embedded database in ${dataDir} is in use by another process (pid ${holder.pid}); stop it first, or use PostgreSQL (DATABASE_URL) to share one database between processes\n`,
      );
    } finally {
      const gone = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL'); // dies without releasing: its claim is stale
      await gone;
    }
    const database = await openDatabase({ dataDir });
    try {
      const rows = await staffDb(database.db).selectFrom('staff_accounts').select('email').execute();
      expect(rows.map((row) => row.email)).not.toContain('busy@example.org');
    } finally {
      await database.close();
    }
  });

  it('creates an account in the embedded database and exits 0; a bad role is one line and exit 1', async () => {
    const ok = await run(
      [
        '--email',
        'first@example.org',
        '--password',
        'first admin password',
        '--role',
        'admin',
        '--name',
        'المدير',
      ],
      { DATA_DIR: dataDir },
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^staff:create: created admin account first@example\.org \([0-9a-f-]{36}\)\n$/);

    const bad = await run(
      ['--email', 'second@example.org', '--password', 'second password!', '--role', 'owner'],
      {
        DATA_DIR: dataDir,
      },
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe('staff:create: --role: expected one of: agent, supervisor, admin\n');

    const taken = await run(
      ['--email', 'FIRST@example.org', '--password', 'another password', '--role', 'agent'],
      {
        DATA_DIR: dataDir,
      },
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('staff:create: an account with the email first@example.org already exists\n');

    const database = await openDatabase({ dataDir });
    try {
      const rows = await staffDb(database.db)
        .selectFrom('staff_accounts')
        .select(['email', 'name', 'role'])
        .execute();
      expect(rows).toEqual([{ email: 'first@example.org', name: 'المدير', role: 'admin' }]);
    } finally {
      await database.close();
    }
  });
});
