import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { ActionHandler, ConversationMode } from '../../src/engine/actions.js';
import { type FlowSet, loadFlows } from '../../src/engine/flow-loader.js';
import { MessageCatalog } from '../../src/engine/i18n.js';
import { IntentMatcher } from '../../src/engine/matcher.js';
import { ConversationEngine, type ConversationState, initialState } from '../../src/engine/runtime.js';

let flows: FlowSet;
let catalog: MessageCatalog;
let engine: ConversationEngine;

beforeAll(async () => {
  flows = await loadFlows(`${PROJECT_ROOT}flows`);
  catalog = await MessageCatalog.load(`${PROJECT_ROOT}locales`);
  engine = new ConversationEngine({
    flows,
    catalog,
    matcher: new IntentMatcher(flows),
    handoffAckIntervalMs: 600_000,
  });
});

const calls: string[] = [];
const actions: ActionHandler = async ({ name }) => {
  calls.push(name);
  if (name === 'lookup_requests') return { result: 'none' };
  if (name === 'escalate') return { result: 'escalated', mode: 'waiting' };
  if (name === 'cancel_escalation') return { result: 'cancelled', mode: 'bot' };
  if (name === 'find_request') return { result: 'not_found' };
  return { result: 'recorded', vars: { flagged: 'no' } };
};

interface Step {
  state: ConversationState;
  mode: ConversationMode;
}

async function say(step: Step, text: string, context?: Record<string, string>) {
  const result = await engine.handle({
    text,
    now: new Date(),
    state: step.state,
    mode: step.mode,
    locale: 'ar',
    actions,
    ...(context ? { context } : {}),
  });
  return {
    ...result,
    nodes: result.replies.map((reply) => `${reply.flowId}/${reply.nodeId}`),
    text: result.replies.map((reply) => reply.text).join('\n'),
  };
}

async function walk(texts: string[], from: Step = { state: initialState(), mode: 'bot' }) {
  let step = from;
  for (const text of texts) step = await say(step, text);
  return step;
}

const TO_FAMILY_SIZE = ['تقديم طلب دعم', 'محمد عبدالله القحطاني', '1000000008', '0551234567', 'الرياض', '1'];

describe('number questions', () => {
  it.each(['0', '٠', '۰'])(
    '«%s» at the family size is an answer, refused with the reason, not the menu',
    async (zero) => {
      const at = await walk(TO_FAMILY_SIZE);
      expect(at.state.nodeId).toBe('family_size');
      const result = await say(at, zero);
      expect(result.nodes).toEqual(['intake/family_size', 'intake/family_size']);
      expect(result.text).toContain('أقل قيمة هي ١');
      expect(result.state.vars.full_name).toBe('محمد عبدالله القحطاني');
    },
  );
});

describe('the intake summary', () => {
  it('shows the mobile in its local form between bidi isolates, and keeps E.164', async () => {
    const result = await say(await walk([...TO_FAMILY_SIZE, '4', '0']), 'نحتاج مساعدة في دفع إيجار البيت');
    expect(result.state.nodeId).toBe('confirm');
    expect(result.state.vars.mobile).toBe('+966551234567');
    expect(result.text).toContain('• الجوال: \u20660551234567\u2069');
    expect(result.text).not.toContain('+966');
  });

  it('labels the number a channel vouches for the same way', async () => {
    const at = await walk(TO_FAMILY_SIZE.slice(0, 3));
    const mobile = await say(at, '1000000008', { channel_phone: '+966551234567' });
    expect(mobile.replies.at(-1)?.choices).toEqual(['استخدام رقمي \u20660551234567\u2069']);
  });
});
