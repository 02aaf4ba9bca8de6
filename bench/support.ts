import { readFileSync } from 'node:fs';
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
