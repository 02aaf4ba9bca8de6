/**
 * `npm run flows:check [flows-dir] [locales-dir]`: loads every flow and both locale catalogs,
 * lints them, prints one line per problem and exits non-zero on any. CI runs it.
 */
import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import { lintFlows } from '../engine/flow-lint.js';
import { FlowFileError, loadFlows } from '../engine/flow-loader.js';
import { MessageCatalog } from '../engine/i18n.js';

async function main(): Promise<number> {
  const flowsDir = resolve(process.argv[2] ?? process.env.FLOWS_DIR ?? `${PROJECT_ROOT}flows`);
  const localesDir = resolve(process.argv[3] ?? process.env.LOCALES_DIR ?? `${PROJECT_ROOT}locales`);
  try {
    const [flows, catalog] = await Promise.all([loadFlows(flowsDir), MessageCatalog.load(localesDir)]);
    const problems = lintFlows(flows, catalog);
    for (const problem of problems) console.error(`${problem.file}: ${problem.where}: ${problem.message}`);
    if (problems.length > 0) {
      console.error(`flows:check: ${problems.length} problem(s)`);
      return 1;
    }
    console.log(
      `flows:check: ${flows.size} flows, ${[...flows.values()].reduce((n, f) => n + f.nodes.size, 0)} nodes, no problems`,
    );
    return 0;
  } catch (error) {
    if (error instanceof FlowFileError || error instanceof Error) console.error(error.message);
    return 1;
  }
}

process.exitCode = await main();
