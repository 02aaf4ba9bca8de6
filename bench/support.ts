import type { KyselyPlugin } from 'kysely';

/** Counts the SQL statements Kysely sends (BEGIN/COMMIT are not queries and are not counted). */
export class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => {
    this.count++;
    return args.node;
  };
  transformResult: KyselyPlugin['transformResult'] = async (args) => args.result;
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
