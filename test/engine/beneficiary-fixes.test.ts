import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { ActionHandler, ActionOutcome, ConversationMode } from '../../src/engine/actions.js';
import { endsWithYesNoQuestion, lintFlows } from '../../src/engine/flow-lint.js';
import { FlowFileError, type FlowSet, loadFlows, parseFlow } from '../../src/engine/flow-loader.js';
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

interface SayOptions {
  context?: Record<string, string>;
  /** Actions other than the default stand-ins (a look-up that finds a request). */
  actions?: ActionHandler;
}

async function say(step: Step, text: string, options: SayOptions = {}) {
  const result = await engine.handle({
    text,
    now: new Date(),
    state: step.state,
    mode: step.mode,
    locale: 'ar',
    actions: options.actions ?? actions,
    ...(options.context ? { context: options.context } : {}),
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
    const mobile = await say(at, '1000000008', { context: { channel_phone: '+966551234567' } });
    expect(mobile.replies.at(-1)?.choices).toEqual(['استخدام رقمي \u20660551234567\u2069']);
  });
});

describe('leaving an unfinished intake', () => {
  it.each(['القائمة', 'menu', '0', '٠', '/menu'])(
    '«%s» after an answer says the request was not saved, then the menu',
    async (command) => {
      const at = await walk(['تقديم طلب دعم', 'محمد عبدالله القحطاني']);
      const result = await say(at, command);
      expect(result.nodes).toEqual(['intake/not_saved', 'main_menu/menu']);
      expect(result.text).toContain('لم يُحفَظ طلب الدعم');
      expect(result.state.vars).toEqual({});
    },
  );

  it('asking for staff says it too, before the handoff', async () => {
    const at = await walk(['تقديم طلب دعم', 'محمد عبدالله القحطاني', '1000000008']);
    const result = await say(at, 'أبي أكلم موظف');
    expect(result.nodes).toEqual(['intake/not_saved', 'handoff/waiting']);
  });

  it('«إلغاء» says it once, in its own words', async () => {
    const at = await walk(['تقديم طلب دعم', 'محمد عبدالله القحطاني']);
    const result = await say(at, 'إلغاء');
    expect(result.nodes).toEqual(['main_menu/cancelled', 'main_menu/menu']);
  });

  it('says nothing before the first answer, or after the request is created', async () => {
    expect((await say(await walk(['تقديم طلب دعم']), 'القائمة')).nodes).toEqual(['main_menu/menu']);
  });
});

describe('waiting for staff', () => {
  async function waiting() {
    const step = await walk(['أبي أكلم موظف']);
    expect(step.mode).toBe('waiting');
    return step;
  }

  it.each(['القائمة', '0', '٠', 'menu', 'إلغاء', 'رجوع'])(
    '«%s» withdraws the request for staff and shows the menu',
    async (command) => {
      calls.length = 0;
      const result = await say(await waiting(), command);
      expect(calls).toContain('cancel_escalation');
      expect(result.mode).toBe('bot');
      expect(result.nodes).toEqual(['handoff/cancelled', 'main_menu/menu']);
      expect(result.text).toContain('تم إلغاء طلب التحدث مع موظف');
    },
  );

  it('switches language while still waiting', async () => {
    const result = await say(await waiting(), 'English');
    expect(result.mode).toBe('waiting');
    expect(result.locale).toBe('en');
    expect(result.nodes).toEqual(['handoff/still_waiting']);
  });

  it('with a member of staff answering, everything goes to them', async () => {
    const step = await waiting();
    for (const text of ['القائمة', '0', 'إلغاء']) {
      const result = await say({ ...step, mode: 'staff' }, text);
      expect(result.replies).toEqual([]);
      expect(result.mode).toBe('staff');
    }
  });
});

describe('flow checks', () => {
  it('recognises a text that ends with a yes/no question', () => {
    expect(endsWithYesNoQuestion('لا توجد طلبات. هل تريدون تقديم طلب دعم الآن؟')).toBe(true);
    expect(endsWithYesNoQuestion('أولًا.\nهل تريدون التحدث مع أحد الموظفين الآن؟')).toBe(true);
    expect(endsWithYesNoQuestion('هل لديكم ملاحظة؟ اكتبوها، أو اختاروا «تخطي».')).toBe(false);
    expect(endsWithYesNoQuestion('كيف أخدمكم؟')).toBe(false);
    expect(endsWithYesNoQuestion('{x, select, yes {أ. هل نبدأ؟} other {هل نبدأ؟}}')).toBe(true);
  });

  it('a message ending with «هل …؟» must map yes and no; yes/no must name a choice', () => {
    const node = (extra: string) =>
      `  - { id: a, type: message, text: status.none, choices: [{ id: go, label: status.choice.apply, flow: intake }, { id: stay, label: menu.choice.main_menu, flow: main_menu }]${extra} }`;
    expect(problemsOf(['nodes:', node('')])).toEqual([
      'nodes(a): its text ends with a yes/no question («هل …؟»): name the choices a yes and a no select (yes:, no:)',
    ]);
    expect(problemsOf(['nodes:', node(', yes: go, no: stay')])).toEqual([]);
    expect(() =>
      parseFlow('probe.yaml', ['id: probe', 'start: a', 'nodes:', node(', yes: go, no: nowhere')].join('\n')),
    ).toThrow(FlowFileError);
    expect(() =>
      parseFlow('probe.yaml', ['id: probe', 'start: a', 'nodes:', node(', yes: go, no: nowhere')].join('\n')),
    ).toThrow(/"no" names "nowhere", which is not one of this node's choices/);
  });

  function problemsOf(lines: string[]) {
    const set = new Map(flows);
    set.set('probe', parseFlow('probe.yaml', ['id: probe', 'start: a', ...lines].join('\n')));
    return lintFlows(set, catalog)
      .filter((problem) => problem.file === 'probe.yaml')
      .map((problem) => `${problem.where}: ${problem.message}`);
  }

  it('captures start at a node of their flow', () => {
    const ask =
      '  - { id: a, type: ask, text: menu.prompt, validate: { kind: reference }, save: r, next: a }';
    expect(problemsOf(['captures: [{ kind: reference, save: r, node: nowhere }]', 'nodes:', ask])).toContain(
      'captures[0].node: unknown node "nowhere"',
    );
    expect(problemsOf(['captures: [{ kind: reference, save: r, node: a }]', 'nodes:', ask])).toEqual([]);
  });

  it('on_leave names a message node that is only said', () => {
    expect(
      problemsOf([
        'on_leave: gone',
        'nodes:',
        '  - { id: a, type: ask, text: menu.prompt, validate: { kind: yes_no }, save: x, next: a }',
      ]),
    ).toContain('on_leave: unknown node "gone"');
    expect(
      problemsOf(['on_leave: a', 'nodes:', '  - { id: a, type: message, text: menu.prompt, next: a }']),
    ).toContain('on_leave: the on_leave node is only said: a message without choices, next or flow');
    expect(
      problemsOf([
        'on_leave: bye',
        'nodes:',
        '  - { id: a, type: ask, text: menu.prompt, validate: { kind: yes_no }, save: x, next: a }',
        '  - { id: bye, type: message, text: intake.not_saved }',
      ]),
    ).toEqual([]);
  });
});

describe('yes and no at messages and questions', () => {
  it.each([
    ['نعم', 'handoff/waiting'],
    ['ايوه', 'handoff/waiting'],
    ['إيه والله', 'handoff/waiting'],
    ['أكيد', 'handoff/waiting'],
    ['لا', 'main_menu/menu'],
    ['لا شكرًا', 'main_menu/menu'],
    ['مو لازم', 'main_menu/menu'],
  ])('faq/unclear_procedures answered «%s» → %s', async (answer, target) => {
    const at = await walk(['الإجراءات غير واضحة لي']);
    expect(at.state.nodeId).toBe('unclear_procedures');
    expect((await say(at, answer)).nodes.at(-1)).toBe(target);
  });

  it.each([
    ['نعم', 'intake/name'],
    ['ايه', 'intake/name'],
    ['ابي', 'intake/name'],
    ['لا', 'main_menu/menu'],
  ])('status/none answered «%s» → %s', async (answer, target) => {
    const at = await walk(['مرحبا', '٣']);
    expect(at.state.nodeId).toBe('none');
    expect((await say(at, answer)).nodes.at(-1)).toBe(target);
  });

  it('a question at a yes/no node is still understood as a question', async () => {
    const at = await walk(['الإجراءات غير واضحة لي']);
    const result = await say(at, 'متى يتم الرد على طلبي؟');
    expect(result.nodes.at(-1)).toBe('faq/decision_time');
  });

  it('at the comment question only a bare yes asks for the comment; a sentence is the comment', async () => {
    const at = await walk(['أبي أقيم الخدمة', '٤']);
    expect(at.state.nodeId).toBe('comment');
    const prompt = await say(at, 'نعم');
    expect(prompt.nodes).toEqual(['rating/comment_text']);
    expect(prompt.state.vars.comment).toBeUndefined();
    const sentence = await say(at, 'نعم الموظف كان متعاونًا');
    expect(sentence.state.vars).toMatchObject({ score: 4, comment: 'نعم الموظف كان متعاونًا' });
    const no = await say(at, 'ما عندي ملاحظات');
    expect(no.state.vars).toMatchObject({ score: 4, comment: null });
    const tapped = await say(at, '2');
    expect(tapped.state.vars).toMatchObject({ score: 4, comment: null });
  });

  it('the rating validator reads a score before the choices do («مو جيدة جدًا» is not choice ٤)', async () => {
    const at = await walk(['أبي أقيم الخدمة']);
    expect((await say(at, 'مو جيدة جدًا')).state.vars.score).toBe(2);
    expect((await say(at, '٤ — جيدة جدًا')).state.vars.score).toBe(4);
    expect((await say(at, '5')).state.vars.score).toBe(5);
  });
});

describe('request numbers', () => {
  const found: ActionHandler = async (request): Promise<ActionOutcome> => {
    if (request.name === 'find_request')
      return { result: 'found', vars: { reference: String(request.vars.reference), status_label: 'مستلَم' } };
    if (request.name === 'lookup_requests')
      return { result: 'some', vars: { count: 1, requests: '• 13038229' } };
    return actions(request);
  };

  it('a reference in a sentence at a menu is looked up at once', async () => {
    const menu = await walk(['مرحبا']);
    const result = await say(menu, 'وين وصل طلبي رقم 1303 8229', { actions: found });
    expect(result.nodes).toEqual(['status/detail']);
    expect(result.state.vars.reference).toBe('13038229');
  });

  it('a sentence about something else keeps its meaning', async () => {
    const menu = await walk(['مرحبا']);
    const result = await say(menu, 'متى يتم الرد على طلبي 13038229');
    expect(result.nodes).toEqual(['faq/decision_time']);
  });

  it('a wrong check digit at a menu gets that reason alone, and the menu stays', async () => {
    const none = await walk(['مرحبا', '٣']);
    const result = await say(none, '12345678');
    expect(result.nodes).toEqual(['status/none']);
    expect(result.text).toBe('رقم الطلب غير صحيح؛ يُرجى التأكد منه وإعادة كتابته.');
    expect(result.replies[0]?.choices).toEqual(['تقديم طلب دعم', 'القائمة الرئيسية']);
    expect(result.state.nodeId).toBe('none');
  });

  it('at the list, a wrong number gets its reason alone; words are understood as at a menu', async () => {
    const list = await say(await walk(['مرحبا']), 'حالة طلبي', { actions: found });
    expect(list.state.nodeId).toBe('list');
    const wrong = await say(list, '1234 5670', { actions: found });
    expect(wrong.nodes).toEqual(['status/list']);
    expect(wrong.replies).toHaveLength(1);
    expect(wrong.replies[0]?.choices).toEqual(['القائمة الرئيسية']);
    expect((await say(list, 'ابي اقدم طلب ثاني', { actions: found })).nodes.at(-1)).toBe('intake/name');
    expect((await say(list, 'طلبي 13038229', { actions: found })).nodes).toEqual(['status/detail']);
  });
});
