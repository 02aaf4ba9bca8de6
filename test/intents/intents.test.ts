import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../src/config.js';
import type { ActionHandler } from '../../src/engine/actions.js';
import { loadFlows } from '../../src/engine/flow-loader.js';
import { MessageCatalog } from '../../src/engine/i18n.js';
import { IntentMatcher } from '../../src/engine/matcher.js';
import { ConversationEngine, initialState } from '../../src/engine/runtime.js';

/**
 * Accuracy of free-text understanding on a held-out set of beneficiary messages
 * (test/intents/utterances.yaml), each sent as the first message of a new conversation by a
 * contact with no requests. Reports accuracy per target and fails below 95% overall or if any
 * out-of-scope message is answered as a topic.
 */
const entries = z
  .array(z.strictObject({ text: z.string(), expect: z.string().regex(/^[a-z_]+\/[a-z_]+$/) }))
  .parse(parse(await readFile(new URL('./utterances.yaml', import.meta.url), 'utf8')));

/** A contact with no requests; nothing else is reached from a first message. */
const noRequests: ActionHandler = async ({ name }) => {
  if (name === 'lookup_requests') return { result: 'none' };
  if (name === 'escalate') return { result: 'escalated', mode: 'waiting' };
  throw new Error(`unexpected action ${name} from a first message`);
};

describe('intent understanding', () => {
  let engine: ConversationEngine;

  beforeAll(async () => {
    const flows = await loadFlows(`${PROJECT_ROOT}flows`);
    const catalog = await MessageCatalog.load(`${PROJECT_ROOT}locales`);
    engine = new ConversationEngine({
      flows,
      catalog,
      matcher: new IntentMatcher(flows),
      handoffAckIntervalMs: 600_000,
    });
  });

  it(`routes at least 95% of ${entries.length} utterances correctly, and no out-of-scope one to a topic`, async () => {
    const misses: string[] = [];
    const perTarget = new Map<string, { total: number; correct: number }>();
    let outOfScopeAnswered = 0;
    for (const entry of entries) {
      const result = await engine.handle({
        text: entry.text,
        now: new Date(),
        state: initialState(),
        mode: 'bot',
        locale: 'ar',
        actions: noRequests,
      });
      const last = result.replies.at(-1);
      const got = `${last?.flowId}/${last?.nodeId}`;
      const stats = perTarget.get(entry.expect) ?? { total: 0, correct: 0 };
      stats.total++;
      if (got === entry.expect) stats.correct++;
      else misses.push(`  ${entry.expect.padEnd(26)} got ${got.padEnd(26)} «${entry.text}»`);
      if (entry.expect === 'main_menu/fallback' && got !== entry.expect) outOfScopeAnswered++;
      perTarget.set(entry.expect, stats);
    }
    const correct = entries.length - misses.length;
    const accuracy = correct / entries.length;
    const table = [...perTarget.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([target, s]) => `  ${target.padEnd(26)} ${s.correct}/${s.total}`)
      .join('\n');
    console.log(
      `intent accuracy: ${(accuracy * 100).toFixed(1)}% (${correct}/${entries.length}); out-of-scope answered as a topic: ${outOfScopeAnswered}\n${table}${misses.length ? `\nmisses:\n${misses.join('\n')}` : ''}`,
    );
    expect(outOfScopeAnswered).toBe(0);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
