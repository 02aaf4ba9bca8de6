import { displayPhone } from '../domain/phone.js';
import { findReference } from '../domain/reference.js';
import { normalizeForMatching, tokenize } from '../text/arabic.js';
import { toAsciiDigits } from '../text/digits.js';
import type { ActionHandler, ActionName, ConversationMode } from './actions.js';
import type { SelectableOption } from './choice-matching.js';
import { matchOption } from './choice-matching.js';
import { detectCommand, isSkip } from './commands.js';
import { evaluateCondition } from './conditions.js';
import { referencesOf } from './flow-graph.js';
import type { FlowSet, LoadedFlow } from './flow-loader.js';
import type { Choice, FlowNode, NodeOf } from './flow-schema.js';
import type { Locale, MessageCatalog, MessageParams } from './i18n.js';
import type { IntentMatcher, IntentTarget, MatchResult } from './matcher.js';
import { type AnswerValue, mayAnswer, parseBareYesNo, parseYesNo, validateAnswer } from './validators.js';

/** Flow ids and node ids the engine itself relies on (the linter checks they exist). */
export const MAIN_MENU = 'main_menu';
export const HANDOFF = 'handoff';
export const ENGINE_NODES = {
  [MAIN_MENU]: ['welcome', 'menu', 'fallback', 'cancelled', 'flow_changed'],
  [HANDOFF]: ['still_waiting', 'cancelled'],
} as const;

/**
 * Everything the engine remembers about a conversation between two messages: plain JSON,
 * tagged with the version of the flow it was written against.
 */
export interface ConversationState {
  /** Flow and node waiting for the beneficiary's reply; null when idle at the top level. */
  flowId: string | null;
  nodeId: string | null;
  flowVersion: string | null;
  vars: Record<string, AnswerValue>;
  /** Questions answered in the current flow, newest last, for «رجوع». */
  history: string[];
  /** After the next answer, continue here instead of the question's `next` (editing a field). */
  returnTo: string | null;
  /** Unrecognised messages in a row. */
  fallbacks: number;
  /** Topics offered by the last fallback, in the order shown. */
  suggestions: IntentTarget[];
  /** When the last «a member of staff will reply» acknowledgement was sent (ISO time). */
  lastAckAt: string | null;
  /** The beneficiary chose a language («English» / «عربي»): replies no longer follow theirs. */
  localeChosen: boolean;
}

export function initialState(): ConversationState {
  return {
    flowId: null,
    nodeId: null,
    flowVersion: null,
    vars: {},
    history: [],
    returnTo: null,
    fallbacks: 0,
    suggestions: [],
    lastAckAt: null,
    localeChosen: false,
  };
}

/** One message to the beneficiary, channel-neutral: text plus optional choices. */
export interface BotReply {
  text: string;
  choices: string[];
  flowId: string;
  nodeId: string;
  /** What the message asks for, when a channel can offer a better input (a phone number). */
  input?: 'phone';
}

export interface TurnInput {
  text: string;
  /**
   * Facts about the sender the channel vouches for, readable by flows like variables but never
   * cleared by a flow: `channel_phone` (E.164, when the channel proves it, as WhatsApp does).
   */
  context?: Record<string, AnswerValue>;
  now: Date;
  state: ConversationState;
  mode: ConversationMode;
  locale: Locale;
  actions: ActionHandler;
}

export interface TurnResult {
  state: ConversationState;
  mode: ConversationMode;
  locale: Locale;
  replies: BotReply[];
}

/** A message the engine says before an event's flow, tagged with the node it stands for. */
export interface EventNotice {
  key: string;
  params?: MessageParams;
  /** Reported as the reply's node (e.g. `intake_reminder`), so tools can tell notices apart. */
  nodeId: string;
}

/**
 * Something that happens to a conversation without a message from the beneficiary — a timed
 * follow-up, a member of staff handing back — re-entering the engine as data, like a message.
 * `start` begins a flow (vars pre-set, e.g. which request a survey is about); `repeat` re-asks
 * the question the conversation is waiting at (a reminder); `notice` only says something.
 */
export type EngineEvent =
  | {
      kind: 'start';
      flowId: string;
      nodeId?: string;
      vars?: Record<string, AnswerValue>;
      notice?: EventNotice;
    }
  | { kind: 'repeat'; notice?: EventNotice }
  | { kind: 'notice'; notice: EventNotice; reset?: boolean };

export type EventInput = Omit<TurnInput, 'text'> & { event: EngineEvent };

/** A flow that cannot be run as written (a loop, an action result with no node). Not retried. */
export class FlowRuntimeError extends Error {
  override readonly name = 'FlowRuntimeError';
}

export interface EngineOptions {
  flows: FlowSet;
  catalog: MessageCatalog;
  matcher: IntentMatcher;
  /** Minimum time between two acknowledgements while waiting for staff. */
  handoffAckIntervalMs: number;
  /** Parameters every message may use (the association's contact details, from configuration). */
  globals?: MessageParams;
}

const MAX_STEPS_PER_TURN = 200;

/** Words that only name a number: «طلبي رقم 1303 8229» is a bare reference. */
const REFERENCE_WORDS = new Set(
  'رقم الرقم طلب طلبي الطلب طلبنا مرجع المرجع request reference number my'
    .split(' ')
    .map(normalizeForMatching),
);

const QUESTION_AHEAD = new WeakMap<LoadedFlow, Map<string, boolean>>();

/**
 * Whether a conversation at this node of the flow still has one of its questions ahead: an
 * intake waiting at a question or at its edit menu is unfinished; one at `submitted` is done.
 */
export function hasQuestionAhead(flows: FlowSet, flowId: string, nodeId: string): boolean {
  const flow = flows.get(flowId);
  return flow ? questionAhead(flow, nodeId) : false;
}

/** Whether a question of the flow can still come from this node (the node itself included). */
function questionAhead(flow: LoadedFlow, nodeId: string): boolean {
  let known = QUESTION_AHEAD.get(flow);
  if (!known) {
    known = new Map();
    QUESTION_AHEAD.set(flow, known);
  }
  const cached = known.get(nodeId);
  if (cached !== undefined) return cached;
  const seen = new Set<string>();
  const queue = [nodeId];
  let found = false;
  while (queue.length > 0 && !found) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = flow.nodes.get(id);
    if (!node) continue;
    if (node.type === 'ask') found = true;
    else
      for (const reference of referencesOf(flow, node)) {
        if (reference.flow === flow.definition.id && reference.node) queue.push(reference.node);
      }
  }
  known.set(nodeId, found);
  return found;
}

/**
 * The conversation engine: flow + state + input → new state + replies. It touches no database
 * or channel; domain work goes through the `actions` port, which the inbox runs in the turn's
 * transaction.
 */
export class ConversationEngine {
  constructor(private readonly options: EngineOptions) {}

  get flows(): FlowSet {
    return this.options.flows;
  }

  async handle(input: TurnInput): Promise<TurnResult> {
    const turn = new Turn(this.options, input);
    await turn.run();
    return turn.result();
  }

  /** Runs an event (see EngineEvent) on the conversation; the bot answers as in a turn. */
  async handleEvent(input: EventInput): Promise<TurnResult> {
    const turn = new Turn(this.options, { ...input, text: '' });
    await turn.runEvent(input.event);
    return turn.result();
  }
}

/** One inbound message being handled; collects replies and mutates a copy of the state. */
class Turn {
  private readonly state: ConversationState;
  private mode: ConversationMode;
  private locale: Locale;
  private readonly replies: BotReply[] = [];
  private steps = 0;
  /**
   * The unfinished flow this message may take the conversation out of (an intake with answers
   * given), whose `on_leave` node is then said once: nothing is discarded without a word.
   */
  private leaving: LoadedFlow | undefined;
  /** The matcher's reading of a text of this turn, once asked (the language check may ask first). */
  private understood: { text: string; result: MatchResult } | undefined;

  constructor(
    private readonly options: EngineOptions,
    private readonly input: TurnInput,
  ) {
    this.state = structuredClone(input.state);
    this.mode = input.mode === 'closed' ? 'bot' : input.mode;
    this.locale = input.locale;
  }

  result(): TurnResult {
    return { state: this.state, mode: this.mode, locale: this.locale, replies: this.replies };
  }

  async run(): Promise<void> {
    const { text } = this.input;
    const command = this.answersZero(text) ? undefined : detectCommand(text);
    if (this.mode === 'waiting' || this.mode === 'staff') return this.whileWithStaff(command);

    if (!this.currentNode() && this.state.flowId !== null && this.state.nodeId !== null) {
      // The flow file changed under this conversation: apologise and start again from the menu.
      return this.enter(MAIN_MENU, 'flow_changed');
    }
    this.leaving = this.unfinishedFlow();
    if (!command) this.followLanguageOf(text);

    switch (command) {
      case 'menu':
        return this.enter(MAIN_MENU, 'menu');
      case 'cancel':
        return this.enter(MAIN_MENU, 'cancelled');
      case 'human':
        return this.enter(HANDOFF);
      case 'back':
        return this.back();
      case 'locale_ar':
      case 'locale_en':
        this.locale = command === 'locale_ar' ? 'ar' : 'en';
        this.state.localeChosen = true;
        return this.repeatCurrent();
      default:
        break;
    }

    const node = this.currentNode();
    if (node?.type === 'ask') return this.answer(node, text);
    return this.chooseOrUnderstand(node, text);
  }

  /**
   * Until the beneficiary chooses a language, a reply follows the language of their message:
   * an English sentence the bot understands (three words or more, no Arabic letter — not
   * Arabizi, which it does not understand) is answered in English, and Arabic again in Arabic.
   * Only at a menu or idle: an answer to a question (a name in Latin letters) changes nothing.
   */
  private followLanguageOf(text: string): void {
    if (this.state.localeChosen || this.currentNode()?.type === 'ask') return;
    const arabic = /[\u0621-\u064A]/.test(text);
    if (this.locale === 'en' && arabic) {
      this.locale = 'ar';
      return;
    }
    if (this.locale !== 'ar' || arabic) return;
    const words = text.match(/[A-Za-z]{2,}/g) ?? [];
    if (words.length < 3) return;
    if (this.understand(text).kind !== 'unknown') this.locale = 'en';
  }

  /** The text as the matcher reads it, matched once per turn. */
  private understand(text: string): MatchResult {
    if (this.understood?.text !== text) this.understood = { text, result: this.options.matcher.match(text) };
    return this.understood.result;
  }

  /**
   * «0» is the global shortcut to the menu, except as the answer to a number question: there it
   * is an answer (an income of zero is valid; a family of zero gets the question's own reason),
   * since losing a half-filled form to an honest answer would be worse.
   */
  private answersZero(text: string): boolean {
    const node = this.currentNode();
    if (node?.type !== 'ask' || node.validate.kind !== 'number') return false;
    return toAsciiDigits(text).trim() === '0';
  }

  async runEvent(event: EngineEvent): Promise<void> {
    const { notice } = event;
    if (notice) {
      const flowId = event.kind === 'start' ? event.flowId : (this.state.flowId ?? MAIN_MENU);
      this.say(notice.key, this.flow(flowId), notice.nodeId, [], notice.params);
    }
    if (event.kind === 'notice') {
      if (event.reset) Object.assign(this.state, initialState());
      return;
    }
    this.mode = 'bot';
    if (event.kind === 'repeat') return this.repeatCurrent();
    await this.enter(event.flowId, event.nodeId, { vars: event.vars });
  }

  // ── staff modes ────────────────────────────────────────────────────────────

  /**
   * Waiting for staff, the bot is silent but for a rare acknowledgement — and the global commands:
   * «إلغاء», «القائمة» / «0» and «رجوع» withdraw the request for staff (the beneficiary is told)
   * and return to the menu; «English» / «عربي» switch language. With a member of staff answering,
   * everything goes to them.
   */
  private async whileWithStaff(command: ReturnType<typeof detectCommand>): Promise<void> {
    if (this.mode !== 'waiting') return;
    if (command === 'cancel' || command === 'menu' || command === 'back') {
      await this.callAction('cancel_escalation');
      this.mode = 'bot';
      return this.enter(HANDOFF, 'cancelled');
    }
    if (command === 'locale_ar' || command === 'locale_en') {
      this.locale = command === 'locale_ar' ? 'ar' : 'en';
      this.state.localeChosen = true;
      this.state.lastAckAt = this.input.now.toISOString();
      return this.runFrom(this.flow(HANDOFF), 'still_waiting');
    }
    const last = this.state.lastAckAt ? Date.parse(this.state.lastAckAt) : 0;
    if (this.input.now.getTime() - last < this.options.handoffAckIntervalMs) return;
    this.state.lastAckAt = this.input.now.toISOString();
    await this.runFrom(this.flow(HANDOFF), 'still_waiting');
  }

  // ── input at a node ───────────────────────────────────────────────────────

  private async answer(node: NodeOf<'ask'>, text: string): Promise<void> {
    const flow = this.flow(this.state.flowId as string);
    if (node.optional && isSkip(text)) return this.accept(flow, node, null);

    // Only a message that is nothing but a yes or a no («نعم», «ايوه»): a sentence is an answer.
    const yesNo = this.yesNoChoice(node, text, parseBareYesNo);
    if (yesNo) return this.choose(flow, node, yesNo);

    const choices = this.visible(node.choices);
    // A rating reads everything its choices say and more (negation: «مو جيدة جدًا» is not «جيدة
    // جدًا»), so the validator goes first there.
    if (node.validate.kind === 'rating') {
      const rating = validateAnswer(text, node.validate);
      if (rating.ok) return this.accept(flow, node, rating.value);
    }
    if (choices.length) {
      const index = matchOption(text, this.options_(choices));
      const choice = index === undefined ? undefined : choices[index];
      if (choice) return this.choose(flow, node, choice);
    }

    // «شكرًا», «أبي أقدم طلب ثاني» where a request number is asked: free text, as at a menu.
    if (node.free_text && !mayAnswer(text, node.validate)) return this.chooseOrUnderstand(node, text);

    const result = validateAnswer(text, node.validate, this.options_(choices));
    if (!result.ok) {
      const { kind, ...limits } = node.validate;
      const reason = `validation.${kind}.${result.problem}`;
      if (!node.repeat_text) {
        // The reason alone, with the question's choices: its text would mislead («لم نجد طلبًا …»).
        this.say(reason, flow, node.id, this.labels(choices), limits);
        return this.wait(node.id);
      }
      this.say(reason, flow, node.id, [], limits);
      return this.runFrom(flow, node.id);
    }
    return this.accept(flow, node, result.value);
  }

  /** A choice at a question: its way out, or its value (`value_from`, `value` — null too —, id) as the answer. */
  private async choose(flow: LoadedFlow, node: NodeOf<'ask'>, choice: Choice): Promise<void> {
    if (choice.next || choice.flow) return this.follow(flow, choice);
    const value = choice.value_from
      ? (this.scope()[choice.value_from] ?? null)
      : choice.value !== undefined
        ? choice.value
        : choice.id;
    return this.accept(flow, node, value);
  }

  /** The choice a yes or a no selects at a node that maps them (`yes:` / `no:`), if offered now. */
  private yesNoChoice(
    node: NodeOf<'message'> | NodeOf<'ask'>,
    text: string,
    parse: (text: string) => boolean | undefined,
  ): Choice | undefined {
    if (!node.yes && !node.no) return undefined;
    const answer = parse(text);
    const id = answer === true ? node.yes : answer === false ? node.no : undefined;
    return id ? this.visible(node.choices).find((choice) => choice.id === id) : undefined;
  }

  private async accept(flow: LoadedFlow, node: NodeOf<'ask'>, value: AnswerValue): Promise<void> {
    this.state.vars[node.save] = value;
    if (node.validate.kind === 'national_id' && typeof value === 'string') {
      this.state.vars[`${node.save}_masked`] = `${'•'.repeat(6)}${value.slice(-4)}`;
    }
    // Shown in Arabic text as 05XXXXXXXX between isolates, so bidi cannot reorder it; stored in E.164.
    if (node.validate.kind === 'saudi_mobile' && typeof value === 'string') {
      this.state.vars[`${node.save}_display`] = displayPhone(value);
    }
    this.state.history = [...this.state.history.filter((id) => id !== node.id), node.id];
    const next = this.state.returnTo ?? node.next;
    this.state.returnTo = null;
    return this.runFrom(flow, next);
  }

  /** At a menu (or idle): a choice by number or words, else free text through the matcher. */
  private async chooseOrUnderstand(node: FlowNode | undefined, text: string): Promise<void> {
    const flow = this.state.flowId ? this.flow(this.state.flowId) : undefined;
    if (node?.type === 'message' && flow) {
      // Suggested topics come first, as they are shown, then the node's own choices.
      const suggestions = node.suggest ? this.state.suggestions : [];
      const choices = this.visible(node.choices);
      const index = matchOption(text, [...this.suggestionOptions(node), ...this.options_(choices)]);
      if (index !== undefined) {
        const suggestion = suggestions[index];
        if (suggestion) return this.enterTarget(suggestion);
        return this.follow(flow, choices[index - suggestions.length] as Choice);
      }
      // «هل تريدون …؟» answered «نعم», «ايوه», «لا شكرًا»: the node's `yes` / `no` choice.
      const yesNo = this.yesNoChoice(node, text, parseBareYesNo);
      if (yesNo) return this.follow(flow, yesNo);
    }
    if (await this.capture(node, text)) return;
    // A new (or finished) conversation is at the main menu without having seen it: «٣» is its third
    // option. So is a number beyond the choices shown now (two under a request just submitted): the
    // beneficiary is answering the menu they remember, not this message.
    if ((!node || node.type === 'message') && /^\d{1,2}$/.test(toAsciiDigits(text).trim())) {
      const menu = this.flow(MAIN_MENU).nodes.get('menu');
      const choices = menu?.type === 'message' ? this.visible(menu.choices) : [];
      const index = matchOption(text, this.options_(choices));
      if (index !== undefined) return this.follow(this.flow(MAIN_MENU), choices[index] as Choice);
    }

    const understood = this.understand(text);
    if (understood.kind === 'greeting') return this.enter(MAIN_MENU, 'welcome');
    if (understood.kind === 'courtesy') return this.enter(understood.target.flowId, understood.target.nodeId);
    if (understood.kind === 'intent') return this.enterTarget(understood.match.target);
    // A yes or a no inside a sentence no topic took («نعم أرجو ذلك»).
    const yesNo = node?.type === 'message' && flow ? this.yesNoChoice(node, text, parseYesNo) : undefined;
    if (yesNo && flow) return this.follow(flow, yesNo);
    this.state.fallbacks += 1;
    this.state.suggestions = this.withStaffOffer(understood.suggestions);
    // The fallback offers the menu's own options when no topic came close (`suggestion_count` 0).
    return this.enter(MAIN_MENU, 'fallback', {
      keepFallbacks: true,
      vars: { suggestion_count: this.state.suggestions.length },
    });
  }

  /**
   * A value a flow captures from free text at any menu: «وين وصل طلبي رقم 1303 8229» starts
   * status at `find` with that reference (which opens only if it is the contact's own), when the
   * words around it are about that flow or nothing else. A reference with a wrong check digit gets
   * that reason alone, and the conversation stays where it is.
   */
  private async capture(node: FlowNode | undefined, text: string): Promise<boolean> {
    const found = findReference(text);
    if (!found) return false;
    for (const flow of this.options.flows.values()) {
      const capture = flow.definition.captures.find((candidate) => candidate.kind === 'reference');
      if (!capture || !this.about(flow, text)) continue;
      if ('problem' in found) {
        const here = this.flow(this.state.flowId ?? MAIN_MENU);
        const choices =
          node?.type === 'message' || node?.type === 'ask' ? this.labels(this.visible(node.choices)) : [];
        this.say(`validation.${capture.kind}.${found.problem}`, here, this.state.nodeId ?? 'menu', choices);
        return true;
      }
      await this.enter(flow.definition.id, capture.node, { vars: { [capture.save]: found.reference } });
      return true;
    }
    return false;
  }

  /** Whether the words around a captured value are none, or one of this flow's topics. */
  private about(flow: LoadedFlow, text: string): boolean {
    const rest = toAsciiDigits(text).replace(/\d(?:[\s-]*\d)*/g, ' ');
    const words = tokenize(normalizeForMatching(rest)).filter((word) => !REFERENCE_WORDS.has(word));
    if (words.length === 0) return true;
    const understood = this.options.matcher.match(rest);
    return understood.kind === 'intent' && understood.match.target.flowId === flow.definition.id;
  }

  private labels(choices: readonly Choice[]): string[] {
    return choices.map((choice) => this.t(choice.label));
  }

  /** After two misunderstandings in a row, a member of staff is always among the offers. */
  private withStaffOffer(suggestions: IntentTarget[]): IntentTarget[] {
    const handoff = this.flow(HANDOFF).definition;
    if (this.state.fallbacks < 2 || !handoff.intents) return suggestions;
    const others = suggestions.filter((target) => target.flowId !== HANDOFF).slice(0, 2);
    return [...others, { flowId: HANDOFF, nodeId: handoff.start, label: handoff.intents.label }];
  }

  private suggestionOptions(node: NodeOf<'message'>): SelectableOption[] {
    if (!node.suggest) return [];
    return this.state.suggestions.map((target) => this.option(target.label, []));
  }

  private async back(): Promise<void> {
    const previous = this.state.history.at(-1);
    const flow = this.state.flowId ? this.flow(this.state.flowId) : undefined;
    if (!previous || !flow?.nodes.has(previous)) return this.enter(MAIN_MENU, 'menu');
    this.state.history = this.state.history.slice(0, -1);
    const node = flow.nodes.get(previous);
    if (node?.type === 'ask') delete this.state.vars[node.save];
    this.state.returnTo = null;
    return this.runFrom(flow, previous);
  }

  private async repeatCurrent(): Promise<void> {
    const flow = this.state.flowId ? this.flow(this.state.flowId) : undefined;
    if (!flow || !this.state.nodeId) return this.enter(MAIN_MENU, 'menu');
    return this.runFrom(flow, this.state.nodeId);
  }

  // ── moving between flows and nodes ─────────────────────────────────────────

  private async enterTarget(target: IntentTarget): Promise<void> {
    return this.enter(target.flowId, target.nodeId);
  }

  /** Starts a flow (at its start or a given node) with a clean slate of variables. */
  private async enter(
    flowId: string,
    nodeId?: string,
    options: { keepFallbacks?: boolean; vars?: Record<string, AnswerValue> | undefined } = {},
  ): Promise<void> {
    const flow = this.flow(flowId);
    this.sayLeaving(flowId, nodeId);
    if (!options.keepFallbacks) {
      this.state.fallbacks = 0;
      this.state.suggestions = [];
    }
    if (this.state.flowId !== flowId || flowId === MAIN_MENU || options.vars) {
      this.state.vars = { ...options.vars };
      this.state.history = [];
    }
    this.state.returnTo = null;
    this.state.flowId = flowId;
    this.state.flowVersion = flow.version;
    return this.runFrom(flow, nodeId ?? flow.definition.start);
  }

  private async follow(flow: LoadedFlow, choice: Choice): Promise<void> {
    this.state.fallbacks = 0;
    if (choice.flow) return this.enter(choice.flow, choice.node);
    if (choice.return_to) this.state.returnTo = choice.return_to;
    if (choice.next) return this.runFrom(flow, choice.next);
    return this.enter(MAIN_MENU, 'menu');
  }

  /**
   * The current flow, if it has an `on_leave` node and is unfinished: at least one question
   * answered, and a question of the flow still ahead (waiting at one, or at a menu such as the
   * intake's edit menu that leads back to one). Once the request is created nothing is pending.
   */
  private unfinishedFlow(): LoadedFlow | undefined {
    const { flowId, nodeId, history } = this.state;
    if (!flowId || !nodeId || history.length === 0) return undefined;
    const flow = this.options.flows.get(flowId);
    if (!flow?.definition.on_leave) return undefined;
    return questionAhead(flow, nodeId) ? flow : undefined;
  }

  /** Leaving an unfinished flow for another: its `on_leave` message first, once. */
  private sayLeaving(flowId: string, nodeId: string | undefined): void {
    const leaving = this.leaving;
    if (!leaving || flowId === leaving.definition.id) return;
    this.leaving = undefined;
    // «إلغاء» says so itself (main_menu/cancelled: nothing half-saved).
    if (flowId === MAIN_MENU && nodeId === 'cancelled') return;
    const notice = leaving.nodes.get(leaving.definition.on_leave as string);
    if (notice?.type === 'message') this.sayAll(notice.text, leaving, notice.id, []);
  }

  /** Runs nodes from `nodeId` until one waits for the beneficiary or the flow ends. */
  private async runFrom(flow: LoadedFlow, nodeId: string): Promise<void> {
    let current: { flow: LoadedFlow; nodeId: string } | undefined = { flow, nodeId };
    while (current) {
      if (++this.steps > MAX_STEPS_PER_TURN) {
        throw new FlowRuntimeError(
          `flow "${current.flow.definition.id}" did not wait for input within ${MAX_STEPS_PER_TURN} steps`,
        );
      }
      const node = current.flow.nodes.get(current.nodeId);
      if (!node) {
        if (current.flow.definition.id === MAIN_MENU && current.nodeId === 'flow_changed') {
          throw new FlowRuntimeError('main_menu has no "flow_changed" node');
        }
        return this.enter(MAIN_MENU, 'flow_changed');
      }
      this.state.flowId = current.flow.definition.id;
      this.state.flowVersion = current.flow.version;
      current = await this.step(current.flow, node);
    }
  }

  /** Executes one node; returns where to continue, or undefined when the turn waits. */
  private async step(
    flow: LoadedFlow,
    node: FlowNode,
  ): Promise<{ flow: LoadedFlow; nodeId: string } | undefined> {
    switch (node.type) {
      case 'message': {
        const dynamic = node.suggest ? this.suggestionLabels() : [];
        const choices = [...dynamic, ...this.visible(node.choices).map((choice) => this.t(choice.label))];
        this.sayAll(node.text, flow, node.id, choices);
        if (choices.length > 0) return this.wait(node.id);
        if (node.flow) {
          await this.enter(node.flow, node.node);
          return undefined;
        }
        if (node.next) return { flow, nodeId: node.next };
        return this.wait(null);
      }
      case 'ask':
        this.sayAll(
          node.text,
          flow,
          node.id,
          this.visible(node.choices).map((choice) => this.t(choice.label)),
        );
        // Channels that can (Telegram) offer a «share my number» button for this question.
        if (node.validate.kind === 'saudi_mobile') {
          const last = this.replies.at(-1);
          if (last) last.input = 'phone';
        }
        return this.wait(node.id);
      case 'branch': {
        const scope = this.scope();
        const branch = node.when.find((candidate) => evaluateCondition(candidate.if, scope));
        return { flow, nodeId: branch?.next ?? node.else };
      }
      case 'set':
        Object.assign(this.state.vars, node.vars);
        return { flow, nodeId: node.next };
      case 'action': {
        const outcome = await this.callAction(node.action as ActionName);
        const next = node.results[outcome.result];
        if (!next)
          throw new FlowRuntimeError(
            `flow "${flow.definition.id}" node "${node.id}": no node for result "${outcome.result}"`,
          );
        return { flow, nodeId: next };
      }
      case 'goto':
        await this.enter(node.flow, node.node);
        return undefined;
      case 'end':
        return this.wait(null);
    }
  }

  private wait(nodeId: string | null): undefined {
    this.state.nodeId = nodeId;
    if (nodeId === null) this.state.flowId = null;
    return undefined;
  }

  private async callAction(name: ActionName | 'cancel_escalation') {
    const outcome = await this.input.actions({
      name,
      vars: this.state.vars,
      locale: this.locale,
      now: this.input.now,
    });
    Object.assign(this.state.vars, outcome.vars ?? {});
    if (outcome.mode) {
      this.mode = outcome.mode;
      // Entering the queue for staff counts as the first acknowledgement.
      if (outcome.mode === 'waiting') this.state.lastAckAt = this.input.now.toISOString();
    }
    return outcome;
  }

  // ── rendering ─────────────────────────────────────────────────────────────

  private currentNode(): FlowNode | undefined {
    if (!this.state.flowId || !this.state.nodeId) return undefined;
    return this.options.flows.get(this.state.flowId)?.nodes.get(this.state.nodeId);
  }

  private flow(flowId: string): LoadedFlow {
    const flow = this.options.flows.get(flowId);
    if (!flow) throw new FlowRuntimeError(`unknown flow "${flowId}"`);
    return flow;
  }

  private suggestionLabels(): string[] {
    return this.state.suggestions.map((target) => this.t(target.label));
  }

  private option(label: string, synonyms: string[]): SelectableOption {
    const { catalog } = this.options;
    return { labels: [catalog.format('ar', label), catalog.format('en', label)], synonyms };
  }

  private options_(choices: readonly Choice[]): SelectableOption[] {
    return choices.map((choice) => this.option(choice.label, choice.synonyms));
  }

  /** What conditions and `value_from` read: the sender's context, then the flow's variables. */
  private scope(): Record<string, AnswerValue> {
    return { ...this.input.context, ...this.state.vars };
  }

  /** The choices offered now: those without a condition, and those whose condition holds. */
  private visible(choices: readonly Choice[] | undefined): Choice[] {
    if (!choices) return [];
    const scope = this.scope();
    return choices.filter((choice) => !choice.if || evaluateCondition(choice.if, scope));
  }

  /**
   * A message argument, by name: the call's own `extra`, then the turn's counters, the flow's
   * variables, the sender's context, the bot's globals, in that order. Looked up only for the
   * arguments a message uses: merging all of them for every text (choice labels included) was
   * the engine's largest cost.
   */
  private param(name: string, extra: MessageParams): MessageParams[string] {
    if (Object.hasOwn(extra, name)) return extra[name];
    if (name === 'fallback_count') return this.state.fallbacks;
    if (name === 'offer_staff') return this.state.fallbacks >= 2 ? 'yes' : 'no';
    if (Object.hasOwn(this.state.vars, name)) return this.state.vars[name];
    const context = this.input.context;
    if (name === 'channel_phone_display' && typeof context?.channel_phone === 'string')
      return displayPhone(context.channel_phone);
    if (context && Object.hasOwn(context, name)) return context[name];
    const globals = this.options.globals;
    return globals && Object.hasOwn(globals, name) ? globals[name] : undefined;
  }

  private t(key: string, extra: MessageParams = {}): string {
    return this.options.catalog.format(this.locale, key, (name) => this.param(name, extra));
  }

  private sayAll(keys: string | string[], flow: LoadedFlow, nodeId: string, choices: string[]): void {
    const list = Array.isArray(keys) ? keys : [keys];
    list.forEach((key, index) => {
      this.say(key, flow, nodeId, index === list.length - 1 ? choices : []);
    });
  }

  private say(
    key: string,
    flow: LoadedFlow,
    nodeId: string,
    choices: string[],
    extra: MessageParams = {},
  ): void {
    this.replies.push({ text: this.t(key, extra), choices, flowId: flow.definition.id, nodeId });
  }
}
