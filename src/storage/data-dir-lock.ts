import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live process has the embedded database open. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

const LOCK_FILE = '.in-use.lock';

/** Whether a process with this id is running (EPERM: it is, under another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the embedded database folder for this process. PGlite is one process's database: a
 * second process opening the same folder (`npm run staff:create` while the bot runs, a second
 * `npm start`) would not see the first one's writes and could overwrite them on close. The claim
 * is a file holding our pid; one left by a process that died is taken over. Resolves to the
 * release.
 */
export async function claimDataDir(location: string): Promise<() => Promise<void>> {
  const path = join(location, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = await ownerOf(path);
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new DataDirInUseError(
          `the embedded database in ${location} is in use by another process (pid ${owner}); stop it first, or use PostgreSQL (DATABASE_URL) to share one database between processes`,
        );
      }
      await unlink(path).catch(() => undefined); // left by a process that is gone
    }
  }
  return async () => {
    if ((await ownerOf(path)) === process.pid) await unlink(path).catch(() => undefined);
  };
}
