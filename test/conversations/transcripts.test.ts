import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { loadTranscripts } from './transcript.js';

const transcripts = await loadTranscripts(fileURLToPath(new URL('.', import.meta.url)));

/** Replaces {{name}} with values captured earlier in the transcript. */
function interpolate(text: string, captured: Map<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = captured.get(name);
    if (value === undefined) throw new Error(`nothing captured as "${name}" yet`);
    return value;
  });
}

describe.each(DIALECTS)('conversation transcripts on %s', (dialect) => {
  const bots = new Map<string, TestBot>();

  async function botFor(env: Record<string, string>): Promise<TestBot> {
    const key = JSON.stringify(env);
    let bot = bots.get(key);
    if (!bot) {
      bot = await createTestBot(dialect, env);
      bots.set(key, bot);
    }
    return bot;
  }

  beforeAll(async () => {
    await botFor({});
  });

  afterAll(async () => {
    await Promise.all([...bots.values()].map((bot) => bot.drop()));
  });

  it.each(transcripts.map((t) => [`${t.file}: ${t.name}`, t] as const))('%s', async (_title, transcript) => {
    const bot = await botFor(transcript.env);
    const run = randomUUID();
    const captured = new Map<string, string>();
    let clock = Date.parse('2026-11-25T09:00:00Z');

    for (const [index, turn] of transcript.steps.entries()) {
      clock += turn.after ? (parseDuration(turn.after) ?? 0) : 1000;
      const text = interpolate(turn.user, captured);
      const where = `${transcript.file} step ${index + 1} («${text.slice(0, 40)}»)`;
      const result = await bot.inbox.receive({
        channel: turn.channel,
        externalUserId: `${run}-${turn.as}`,
        externalMessageId: `${run}-${index}`,
        text,
        receivedAt: new Date(clock),
      });
      const { expect: expected } = turn;
      const replies = result.replies;
      const all = replies.map((reply) => reply.text).join('\n');

      if (expected.silent) {
        expect(replies, `${where}: expected silence`).toEqual([]);
        continue;
      }
      expect(replies.length, `${where}: expected a reply`).toBeGreaterThan(0);
      const last = replies.at(-1);
      if (expected.flow) expect(last?.flowId, `${where}: flow`).toBe(expected.flow);
      if (expected.node) expect(last?.nodeId, `${where}: node`).toBe(expected.node);
      for (const fragment of expected.text)
        expect(all, `${where}: text`).toContain(interpolate(fragment, captured));
      for (const fragment of expected.not_text)
        expect(all, `${where}: not_text`).not.toContain(interpolate(fragment, captured));
      const choices = (last?.choices ?? []).join(' | ');
      for (const fragment of expected.choices) expect(choices, `${where}: choices`).toContain(fragment);
      for (const [name, pattern] of Object.entries(expected.capture)) {
        const match = new RegExp(pattern).exec(all);
        expect(match?.[1], `${where}: capture ${name} with /${pattern}/`).toBeDefined();
        captured.set(name, match?.[1] as string);
      }
    }
  });
});
