import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../src/storage/schema.js';

/** A plan node of EXPLAIN (ANALYZE, FORMAT JSON), with the fields the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** A plan node and every node under it. */
export const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

/** The plan out of EXPLAIN (FORMAT JSON)'s one row (text on some drivers, parsed on others). */
function planOf(rows: readonly { 'QUERY PLAN': unknown }[]): PlanNode | undefined {
  const raw = rows[0]?.['QUERY PLAN'];
  const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  return parsed[0]?.Plan;
}

/**
 * Rows each scan of `table` touched, per scan: what it returned plus what it read and threw
 * away, over all its loops (`perLoop` false counts one loop, as a scan run once per outer row
 * is judged by what each run reads).
 */
export function rowsRead(plan: PlanNode, table: string, perLoop = false): { scan: string; rows: number }[] {
  return planNodes(plan)
    .filter((node) => node['Relation Name'] === table)
    .map((node) => ({
      scan: `${node['Node Type']} ${node['Index Name'] ?? ''}`.trim(),
      rows:
        ((node['Actual Rows'] ?? 0) +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        (perLoop ? 1 : (node['Actual Loops'] ?? 1)),
    }));
}

/** Raised to roll back a transaction a test only looked inside. */
class LookedOnly extends Error {}

/**
 * The plan `explain` reads (its rows of EXPLAIN (ANALYZE, FORMAT JSON)), in a transaction rolled
 * back afterwards: ANALYZE runs the statement, and what it wrote must not stay.
 */
export async function planRolledBack(
  db: Kysely<Database>,
  explain: (trx: Transaction<Database>) => Promise<readonly { 'QUERY PLAN': unknown }[]>,
): Promise<PlanNode> {
  let plan: PlanNode | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      plan = planOf(await explain(trx));
      throw new LookedOnly();
    })
    .catch((error: unknown) => {
      if (!(error instanceof LookedOnly)) throw error;
    });
  if (!plan) throw new Error('EXPLAIN gave no plan');
  return plan;
}
