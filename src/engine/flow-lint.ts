import { ACTION_RESULTS, isActionName } from './actions.js';
import { referencesOf } from './flow-graph.js';
import type { FlowSet, LoadedFlow } from './flow-loader.js';
import type { FlowNode } from './flow-schema.js';
import { LOCALES, type MessageCatalog } from './i18n.js';
import { ENGINE_NODES } from './runtime.js';
import { VALIDATION_PROBLEMS } from './validators.js';

export interface LintProblem {
  file: string;
  where: string;
  message: string;
}

/** «… هل تريدون التحدث مع أحد الموظفين الآن؟»: the last sentence is a «هل» question. */
export function endsWithYesNoQuestion(text: string): boolean {
  const trimmed = text.replace(/[\s}]+$/u, '');
  if (!trimmed.endsWith('؟')) return false;
  const sentences = trimmed.slice(0, -1).split(/[.!؟\n{]/u);
  return /^هل\s/u.test((sentences.at(-1) ?? '').trim());
}

function messageKeysOf(node: FlowNode): string[] {
  const keys: string[] = [];
  if (node.intents) keys.push(node.intents.label);
  if (node.type === 'message' || node.type === 'ask') {
    keys.push(...(Array.isArray(node.text) ? node.text : [node.text]));
    keys.push(...(node.choices ?? []).map((choice) => choice.label));
  }
  if (node.type === 'ask') {
    keys.push(
      ...VALIDATION_PROBLEMS[node.validate.kind].map(
        (problem) => `validation.${node.validate.kind}.${problem}`,
      ),
    );
  }
  return keys;
}

/**
 * Lints a set of flows against the locale catalog: unknown node and flow references, unreachable
 * nodes, missing or malformed locale keys in any locale, unknown actions and unmapped results,
 * and the nodes the engine itself needs. Duplicate ids are already refused by the loader.
 */
export function lintFlows(flows: FlowSet, catalog: MessageCatalog): LintProblem[] {
  const problems: LintProblem[] = [];
  const report = (flow: LoadedFlow, where: string, message: string) =>
    problems.push({ file: flow.file, where, message });
  const entered = new Map<string, Set<string>>(); // flow → nodes entered from outside (goto, choices, intents)
  const enter = (flow: string, node: string) => entered.set(flow, (entered.get(flow) ?? new Set()).add(node));

  for (const [flowId, required] of Object.entries(ENGINE_NODES)) {
    const flow = flows.get(flowId);
    if (!flow) {
      problems.push({ file: `${flowId}.yaml`, where: 'id', message: `the engine needs a flow "${flowId}"` });
      continue;
    }
    for (const node of required) {
      if (!flow.nodes.has(node)) report(flow, 'nodes', `the engine needs a node "${node}"`);
      enter(flowId, node);
    }
  }

  for (const flow of flows.values()) {
    const { definition } = flow;
    if (!flow.nodes.has(definition.start)) report(flow, 'start', `unknown node "${definition.start}"`);
    enter(definition.id, definition.start);
    if (definition.intents) {
      for (const key of [definition.intents.label]) checkKey(flow, 'intents.label', key);
    }
    if (definition.on_leave) {
      const notice = flow.nodes.get(definition.on_leave);
      if (!notice) report(flow, 'on_leave', `unknown node "${definition.on_leave}"`);
      else if (notice.type !== 'message' || notice.choices?.length || notice.next || notice.flow)
        report(flow, 'on_leave', 'the on_leave node is only said: a message without choices, next or flow');
      enter(definition.id, definition.on_leave);
    }
    definition.captures.forEach((capture, index) => {
      if (!flow.nodes.has(capture.node))
        report(flow, `captures[${index}].node`, `unknown node "${capture.node}"`);
      for (const problem of VALIDATION_PROBLEMS[capture.kind])
        checkKey(flow, `captures[${index}]`, `validation.${capture.kind}.${problem}`);
      enter(definition.id, capture.node);
    });
    for (const nodeId of Object.keys(definition.courtesies)) {
      if (!flow.nodes.has(nodeId)) report(flow, `courtesies.${nodeId}`, `unknown node "${nodeId}"`);
      enter(definition.id, nodeId);
    }
    for (const node of definition.nodes) {
      if (node.intents) enter(definition.id, node.id);
      for (const reference of referencesOf(flow, node)) {
        const target = flows.get(reference.flow);
        if (!target) {
          report(flow, reference.where, `unknown flow "${reference.flow}"`);
          continue;
        }
        if (reference.node && !target.nodes.has(reference.node)) {
          report(flow, reference.where, `unknown node "${reference.node}" in flow "${reference.flow}"`);
        }
        if (reference.flow !== definition.id)
          enter(reference.flow, reference.node ?? target.definition.start);
      }
      for (const key of new Set(messageKeysOf(node))) checkKey(flow, `nodes(${node.id})`, key);
      checkYesNoQuestion(flow, node);
      if (node.type === 'action') checkAction(flow, node);
      if (node.type === 'ask' && node.validate.kind === 'choice' && !node.choices?.length) {
        report(flow, `nodes(${node.id})`, 'a "choice" question needs choices');
      }
    }
  }

  for (const flow of flows.values()) {
    const reachable = new Set<string>();
    const queue = [...(entered.get(flow.definition.id) ?? [])];
    while (queue.length > 0) {
      const id = queue.pop() as string;
      if (reachable.has(id)) continue;
      reachable.add(id);
      const node = flow.nodes.get(id);
      if (!node) continue;
      for (const reference of referencesOf(flow, node)) {
        if (reference.flow === flow.definition.id && reference.node) queue.push(reference.node);
      }
    }
    for (const node of flow.definition.nodes) {
      if (!reachable.has(node.id)) report(flow, `nodes(${node.id})`, 'unreachable node');
    }
  }
  return problems;

  function checkKey(flow: LoadedFlow, where: string, key: string) {
    for (const locale of LOCALES) {
      if (!catalog.has(locale, key)) report(flow, where, `missing locale key "${key}" in ${locale}.json`);
      else {
        const error = catalog.syntaxError(locale, key);
        if (error) report(flow, where, `locale key "${key}" in ${locale}.json is not valid ICU: ${error}`);
      }
    }
  }

  /** A node whose Arabic text ends with «هل …؟» and offers choices must map a yes and a no. */
  function checkYesNoQuestion(flow: LoadedFlow, node: FlowNode) {
    if (node.type !== 'message' && node.type !== 'ask') return;
    if (!node.choices?.length || (node.type === 'ask' && node.validate.kind === 'yes_no')) return;
    const keys = Array.isArray(node.text) ? node.text : [node.text];
    const text = catalog.messages.ar[keys.at(-1) as string];
    if (text === undefined || !endsWithYesNoQuestion(text)) return;
    if (!node.yes || !node.no)
      report(
        flow,
        `nodes(${node.id})`,
        'its text ends with a yes/no question («هل …؟»): name the choices a yes and a no select (yes:, no:)',
      );
  }

  function checkAction(flow: LoadedFlow, node: Extract<FlowNode, { type: 'action' }>) {
    const where = `nodes(${node.id}).action`;
    if (!isActionName(node.action)) {
      report(
        flow,
        where,
        `unknown action "${node.action}" (known: ${Object.keys(ACTION_RESULTS).join(', ')})`,
      );
      return;
    }
    const results: readonly string[] = ACTION_RESULTS[node.action];
    for (const result of results) {
      if (!(result in node.results))
        report(flow, `nodes(${node.id}).results`, `no node for result "${result}"`);
    }
    for (const result of Object.keys(node.results)) {
      if (!results.includes(result))
        report(
          flow,
          `nodes(${node.id}).results.${result}`,
          `action "${node.action}" never reports "${result}"`,
        );
    }
  }
}
