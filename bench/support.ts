import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';

/**
 * Counts the SQL statements Kysely ran (BEGIN/COMMIT are not queries and are not counted). On
 * the result, not the query: a precompiled statement (QueryTemplate) skips transformQuery.
 */
export class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  transformResult: KyselyPlugin['transformResult'] = async (args) => {
    this.count++;
    return args.result;
  };
}

/** An integer setting from the environment, with a default; a bad value stops the bench naming it. */
export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min} (got ${raw})`);
  return value;
}

/**
 * CPU time the whole machine spent busy so far (all processes, all cores), in ms, from Linux's
 * /proc/stat; undefined elsewhere. Throughput on a small shared VM swings between runs, while the
 * CPU a message costs (the bot and PostgreSQL together) is steadier, so the benches print both.
 */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [label, ...fields] = line.trim().split(/\s+/);
    if (label !== 'cpu') return undefined;
    const ticks = fields.map(Number);
    // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
    const busy = ticks.reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
    return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports /proc/stat in hundredths of a second on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Machine CPU time (ms) since `start()`, undefined off Linux; and this process's own. */
export function cpuMeter() {
  let startedAt: number | undefined;
  let processAt = process.cpuUsage();
  return {
    start() {
      startedAt = machineBusyMs();
      processAt = process.cpuUsage();
    },
    elapsed(): number | undefined {
      const now = machineBusyMs();
      return now === undefined || startedAt === undefined ? undefined : now - startedAt;
    },
    processElapsed(): number {
      const used = process.cpuUsage(processAt);
      return (used.user + used.system) / 1000;
    },
  };
}

const PROFILE_DIR = process.env.BENCH_PROFILE || undefined;

/**
 * With BENCH_PROFILE (a folder), records a CPU profile of `phase` alone into `<name>.cpuprofile`:
 * where a timed phase's time goes, without start-up (module loading, migrations) mixed in.
 */
export async function profiled<T>(name: string, phase: () => Promise<T>): Promise<T> {
  if (!PROFILE_DIR) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
