import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { ActionHandler } from '../../src/engine/actions.js';
import { lintFlows } from '../../src/engine/flow-lint.js';
import { FlowFileError, type FlowSet, loadFlows, parseFlow } from '../../src/engine/flow-loader.js';
import { MessageCatalog } from '../../src/engine/i18n.js';
import { IntentMatcher } from '../../src/engine/matcher.js';
import { ConversationEngine, type ConversationState, initialState } from '../../src/engine/runtime.js';

let flows: FlowSet;
let catalog: MessageCatalog;

beforeAll(async () => {
  flows = await loadFlows(`${PROJECT_ROOT}flows`);
  catalog = await MessageCatalog.load(`${PROJECT_ROOT}locales`);
});

const noActions: ActionHandler = async ({ name }) => {
  if (name === 'lookup_requests') return { result: 'none' };
  if (name === 'escalate') return { result: 'escalated', mode: 'waiting' };
  return { result: 'recorded', vars: { flagged: 'no' } };
};

function engineFor(set: FlowSet) {
  return new ConversationEngine({
    flows: set,
    catalog,
    matcher: new IntentMatcher(set),
    handoffAckIntervalMs: 600_000,
  });
}

async function say(engine: ConversationEngine, state: ConversationState, text: string) {
  return engine.handle({ text, now: new Date(), state, mode: 'bot', locale: 'ar', actions: noActions });
}

describe('flow runtime', () => {
  it('returns a conversation whose node was removed from the flow file to the menu, with an apology', async () => {
    const engine = engineFor(flows);
    let state = initialState();
    for (const text of ['تقديم طلب دعم', 'محمد عبدالله القحطاني', '1000000008', '0551234567'])
      state = (await say(engine, state, text)).state;
    expect(state.nodeId).toBe('city');

    // The intake flow is edited: the city question is gone.
    const source = await readFile(`${PROJECT_ROOT}flows/intake.yaml`, 'utf8');
    const edited = source
      .replace(/ {2}- id: city\n[\s\S]*?next: support_type\n\n/, '')
      .replace('next: city', 'next: support_type');
    const changed = new Map(flows);
    changed.set('intake', parseFlow('intake.yaml', edited));
    expect(changed.get('intake')?.nodes.has('city')).toBe(false);

    const result = await say(engineFor(changed), state, 'الرياض');
    expect(result.replies.map((r) => `${r.flowId}/${r.nodeId}`)).toEqual([
      'main_menu/flow_changed',
      'main_menu/menu',
    ]);
    expect(result.replies[0]?.text).toContain('نعتذر');
    expect(result.state.vars).toEqual({});
  });

  it("fills a message from the flow's variables first, then the sender's context, then the bot's globals", async () => {
    const probeCatalog = new MessageCatalog({
      ar: {
        ...catalog.messages.ar,
        'probe.text':
          'من {who} و{where} و{contact} و{missing}، محاولة {fallback_count}، هاتف {channel_phone_display}',
      },
      en: catalog.messages.en,
    });
    const set = new Map(flows);
    set.set(
      'probe',
      parseFlow(
        'probe.yaml',
        'id: probe\nstart: a\nnodes:\n  - { id: a, type: message, text: probe.text }\n',
      ),
    );
    const engine = new ConversationEngine({
      flows: set,
      catalog: probeCatalog,
      matcher: new IntentMatcher(set),
      handoffAckIntervalMs: 600_000,
      globals: { who: 'عام', where: 'عام', contact: 'الرقم الموحد' },
    });
    const result = await engine.handleEvent({
      event: { kind: 'start', flowId: 'probe', vars: { who: 'المتغير' } },
      now: new Date(),
      state: initialState(),
      mode: 'bot',
      locale: 'ar',
      context: { who: 'السياق', where: 'السياق', channel_phone: '+966551234567' },
      actions: noActions,
    });
    expect(result.replies[0]?.text).toBe(
      'من المتغير والسياق والرقم الموحد و، محاولة 0، هاتف \u20660551234567\u2069',
    );
  });

  it('re-asks the previous question on «رجوع» and forgets its answer', async () => {
    const engine = engineFor(flows);
    let state = initialState();
    for (const text of ['تقديم طلب دعم', 'محمد عبدالله القحطاني'])
      state = (await say(engine, state, text)).state;
    expect(state.vars.full_name).toBe('محمد عبدالله القحطاني');
    const back = await say(engine, state, 'رجوع');
    expect(back.replies.at(-1)?.nodeId).toBe('name');
    expect(back.state.vars.full_name).toBeUndefined();
  });

  it('treats «0» as an answer where zero is valid (income) and as the menu elsewhere', async () => {
    const engine = engineFor(flows);
    let state = initialState();
    for (const text of [
      'تقديم طلب دعم',
      'محمد عبدالله القحطاني',
      '1000000008',
      '0551234567',
      'الرياض',
      '1',
      '4',
    ]) {
      state = (await say(engine, state, text)).state;
    }
    expect(state.nodeId).toBe('monthly_income');
    const zero = await say(engine, state, '٠');
    expect(zero.state.vars.monthly_income).toBe(0);
    expect(zero.replies.at(-1)?.nodeId).toBe('description');
    const menu = await say(engine, zero.state, '0');
    expect(menu.replies.at(-1)?.nodeId).toBe('menu');
  });

  it('formats Arabic plurals in the summary (one, two, few, many)', () => {
    const format = (n: number) =>
      catalog.format('ar', 'intake.summary', { family_size: n, monthly_income: 0 });
    expect(format(1)).toContain('فرد واحد');
    expect(format(2)).toContain('فردان');
    expect(format(5)).toContain('٥ أفراد');
    expect(format(11)).toContain('١١ فردًا');
  });
});

describe('flow files', () => {
  it('lint clean: every reference, node and locale key in the shipped flows is valid', () => {
    expect(lintFlows(flows, catalog)).toEqual([]);
  });

  it('reports unknown nodes, unreachable nodes, unknown actions and missing locale keys', () => {
    const broken = parseFlow(
      'broken.yaml',
      [
        'id: broken',
        'start: a',
        'nodes:',
        '  - { id: a, type: message, text: menu.prompt, next: nowhere }',
        '  - { id: orphan, type: message, text: no.such_key }',
        '  - { id: act, type: action, action: launch_rockets, results: { done: a } }',
      ].join('\n'),
    );
    const set = new Map(flows);
    set.set('broken', broken);
    const problems = lintFlows(set, catalog)
      .filter((p) => p.file === 'broken.yaml')
      .map((p) => `${p.where}: ${p.message}`);
    expect(problems.some((p) => p.includes('nowhere'))).toBe(true);
    expect(problems.some((p) => p.includes('orphan') && /unreachable/i.test(p))).toBe(true);
    expect(problems.some((p) => p.includes('launch_rockets'))).toBe(true);
    expect(problems.some((p) => p.includes('no.such_key'))).toBe(true);
  });

  it('names the file, the path inside it and the problem for an invalid flow', () => {
    const bad = () =>
      parseFlow(
        'bad.yaml',
        'id: bad\nstart: a\nnodes:\n  - id: a\n    type: ask\n    text: menu.prompt\n    save: x\n    next: a\n',
      );
    expect(bad).toThrow(FlowFileError);
    expect(bad).toThrow(/bad\.yaml.*nodes.*validate/);
  });

  it('rejects duplicate node ids', () => {
    expect(() =>
      parseFlow(
        'dup.yaml',
        'id: dup\nstart: a\nnodes:\n  - { id: a, type: end }\n  - { id: a, type: end }\n',
      ),
    ).toThrow(/duplicate node id/);
  });
});
