import type { LoadedFlow } from './flow-loader.js';
import type { Choice, FlowNode } from './flow-schema.js';

/*
 * The edges of the flow graph: which nodes and flows each node leads to. The linter walks them
 * (unknown references, unreachable nodes) and so does the runtime (is a question still ahead?).
 */

/** Every place a node points to another node or flow. */
export interface Reference {
  where: string;
  flow: string;
  node?: string;
}

function choiceReferences(
  flow: LoadedFlow,
  node: FlowNode,
  choices: readonly Choice[] | undefined,
): Reference[] {
  return (choices ?? []).flatMap((choice) => {
    const where = `nodes(${node.id}).choices(${choice.id})`;
    const references: Reference[] = [];
    if (choice.flow) references.push({ where, flow: choice.flow, node: choice.node });
    if (choice.next) references.push({ where, flow: flow.definition.id, node: choice.next });
    if (choice.return_to)
      references.push({ where: `${where}.return_to`, flow: flow.definition.id, node: choice.return_to });
    return references;
  });
}

/** Outgoing references of one node. */
export function referencesOf(flow: LoadedFlow, node: FlowNode): Reference[] {
  const self = flow.definition.id;
  const at = `nodes(${node.id})`;
  switch (node.type) {
    case 'message': {
      const references = choiceReferences(flow, node, node.choices);
      if (node.next) references.push({ where: `${at}.next`, flow: self, node: node.next });
      if (node.flow) references.push({ where: `${at}.flow`, flow: node.flow, node: node.node });
      return references;
    }
    case 'ask':
      return [
        ...choiceReferences(flow, node, node.choices),
        { where: `${at}.next`, flow: self, node: node.next },
      ];
    case 'branch':
      return [
        ...node.when.map((branch, i) => ({ where: `${at}.when[${i}].next`, flow: self, node: branch.next })),
        { where: `${at}.else`, flow: self, node: node.else },
      ];
    case 'set':
      return [{ where: `${at}.next`, flow: self, node: node.next }];
    case 'action':
      return Object.entries(node.results).map(([result, next]) => ({
        where: `${at}.results.${result}`,
        flow: self,
        node: next,
      }));
    case 'goto':
      return [{ where: at, flow: node.flow, node: node.node }];
    case 'end':
      return [];
  }
}
