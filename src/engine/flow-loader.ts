import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { type FlowDefinition, type FlowNode, flowSchema } from './flow-schema.js';

/** A flow as the runtime uses it: its definition, a node index and a version of its content. */
export interface LoadedFlow {
  definition: FlowDefinition;
  nodes: ReadonlyMap<string, FlowNode>;
  /** Short content hash; stored with a conversation so a changed file can be detected. */
  version: string;
  file: string;
}

export type FlowSet = ReadonlyMap<string, LoadedFlow>;

/** A flow file that cannot be used; the message names the file, the path inside it and the problem. */
export class FlowFileError extends Error {
  override readonly name = 'FlowFileError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${problem}`);
  }
}

/** Turns ["nodes", 3, "validate", "kind"] into "nodes[3](national_id).validate.kind" for humans. */
function describePath(path: readonly PropertyKey[], raw: unknown): string {
  let current = raw as Record<PropertyKey, unknown> | undefined;
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') {
      text += `[${part}]`;
      current = (current as unknown[] | undefined)?.[part] as Record<PropertyKey, unknown> | undefined;
      const id = current?.id;
      if (typeof id === 'string') text += `(${id})`;
    } else {
      text += `${text ? '.' : ''}${String(part)}`;
      current = current?.[part] as Record<PropertyKey, unknown> | undefined;
    }
  }
  return text;
}

/** Finds the 1-based line of a path in the YAML document, for editors. */
function lineOf(
  source: string,
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
): number | undefined {
  let node: unknown = doc.contents;
  let found: YamlNode | undefined;
  for (const part of path) {
    if (isMap(node) || isSeq(node)) {
      node = node.get(part as never, true);
      if (node && typeof node === 'object' && 'range' in node) found = node as YamlNode;
    } else break;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? undefined : source.slice(0, offset).split('\n').length;
}

/** Parses and validates one flow file's text. */
export function parseFlow(file: string, source: string): LoadedFlow {
  const doc = parseDocument(source, { prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new FlowFileError(
      file,
      '',
      yamlError.message.split('\n')[0] ?? 'invalid YAML',
      yamlError.linePos?.[0]?.line,
    );
  const raw = doc.toJS() as unknown;
  const parsed = flowSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    throw new FlowFileError(
      file,
      describePath(path, raw),
      issue?.message ?? 'invalid',
      lineOf(source, doc, path),
    );
  }
  const nodes = new Map<string, FlowNode>();
  for (const node of parsed.data.nodes) {
    if (nodes.has(node.id)) throw new FlowFileError(file, `nodes(${node.id})`, 'duplicate node id');
    nodes.set(node.id, node);
  }
  const version = createHash('sha256').update(source).digest('hex').slice(0, 12);
  return { definition: parsed.data, nodes, version, file };
}

/** Loads every `*.yaml`/`*.yml` in a folder; flow ids must be unique across files. */
export async function loadFlows(dir: string): Promise<FlowSet> {
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const flows = new Map<string, LoadedFlow>();
  for (const name of files) {
    const file = join(dir, name);
    const flow = parseFlow(basename(file), await readFile(file, 'utf8'));
    const existing = flows.get(flow.definition.id);
    if (existing)
      throw new FlowFileError(
        name,
        'id',
        `duplicate flow id "${flow.definition.id}" (also in ${existing.file})`,
      );
    flows.set(flow.definition.id, flow);
  }
  return flows;
}
