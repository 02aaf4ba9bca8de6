import { lightStem, normalizeForMatching, tokenize, withoutPrefix } from '../text/arabic.js';
import { DIALECT_LEXICON, STOPWORDS } from './dialect-lexicon.js';
import type { FlowSet } from './flow-loader.js';

/** Where a recognised free-text message leads. */
export interface IntentTarget {
  flowId: string;
  nodeId: string;
  /** Locale key used to offer this topic as a suggestion. */
  label: string;
}

export interface IntentMatch {
  target: IntentTarget;
  score: number;
}

export type MatchResult =
  | { kind: 'greeting' }
  | { kind: 'intent'; match: IntentMatch; greeted: boolean }
  | { kind: 'unknown'; suggestions: IntentTarget[]; greeted: boolean };

interface Example {
  target: IntentTarget;
  terms: Map<string, number>;
  norm: number;
}

/** Score above which a message is taken to mean a topic; below it the bot says it did not understand. */
const ACCEPT_SCORE = 0.5;
/** Scores worth offering as "did you mean …" choices in the fallback. */
const SUGGEST_SCORE = 0.15;
const FUZZY_CREDIT = 0.7;
const MAX_MATCHED_LENGTH = 500;

/**
 * Question words people type glued to the next word in a hurry («كيفاقدم»، «وشالخدمات»). The
 * short or ambiguous ones («شو»، «ليه») only split before «ال», where no Arabic word continues.
 */
const GLUED_QUESTION_WORDS = ['ايش', 'وش', 'كيف', 'وين', 'ليش', 'متي'];
const GLUED_BEFORE_ARTICLE = ['شو', 'ليه', 'ماذا', 'ما'];

/** Splits a glued question word off its word; a word the lexicon knows is left whole. */
function unglued(token: string): string[] {
  if (DIALECT_LEXICON.has(token)) return [token];
  for (const word of GLUED_QUESTION_WORDS) {
    if (token.startsWith(word) && token.length - word.length >= 3) return [word, token.slice(word.length)];
  }
  for (const word of GLUED_BEFORE_ARTICLE) {
    const rest = token.slice(word.length);
    if (token.startsWith(word) && rest.startsWith('ال') && rest.length >= 4) return [word, rest];
  }
  return [token];
}

/** Canonical terms of a text: normalised, dialect words folded, stop words dropped, lightly stemmed. */
export function termsOf(text: string): string[] {
  const terms: string[] = [];
  for (const token of tokenize(normalizeForMatching(text)).flatMap(unglued)) {
    const stem = lightStem(token);
    // The lexicon knows whole words; try the word, then without its clitic prefix, then the stem.
    const canonical =
      DIALECT_LEXICON.get(token) ?? DIALECT_LEXICON.get(withoutPrefix(token)) ?? DIALECT_LEXICON.get(stem);
    const term = canonical ?? stem;
    if (!STOPWORDS.has(token) && !STOPWORDS.has(term)) terms.push(term);
  }
  return terms;
}

/** True when two stems differ by at most one edit (typos, a dropped or doubled letter). */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a.length < 4 || b.length < 4) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/**
 * Intent matcher for free text: binary TF-IDF cosine between the message's canonical terms and
 * every example phrase declared in the flows (`intents.examples`), with credit for near-miss
 * spellings and a bonus for declared keywords. Words the flows never use count fully against a
 * match, which is what keeps out-of-scope questions («كم مدة صلاحية الجواز») out of the FAQ.
 */
export class IntentMatcher {
  private readonly examples: Example[] = [];
  private readonly idf = new Map<string, number>();
  private readonly keywords = new Map<IntentTarget, Set<string>>();
  private readonly greetings: Set<string>;
  private readonly greetingPrefixes: string[];
  private readonly outOfScope = new Set<string>();
  private readonly maxIdf: number;

  constructor(flows: FlowSet) {
    const documents: Array<{ target: IntentTarget; terms: string[] }> = [];
    const greetings: string[] = [];
    for (const flow of flows.values()) {
      const { definition } = flow;
      greetings.push(...(definition.greetings ?? []));
      for (const phrase of definition.out_of_scope)
        this.outOfScope.add(tokenize(normalizeForMatching(phrase)).map(withoutPrefix).join(' '));
      const declared = [
        ...(definition.intents ? [{ nodeId: definition.start, intents: definition.intents }] : []),
        ...definition.nodes.flatMap((node) =>
          node.intents ? [{ nodeId: node.id, intents: node.intents }] : [],
        ),
      ];
      for (const { nodeId, intents } of declared) {
        const target: IntentTarget = { flowId: definition.id, nodeId, label: intents.label };
        for (const example of intents.examples) documents.push({ target, terms: termsOf(example) });
        this.keywords.set(target, new Set(intents.keywords.flatMap(termsOf)));
      }
    }
    const documentFrequency = new Map<string, number>();
    for (const { terms } of documents) {
      for (const term of new Set(terms)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    for (const [term, frequency] of documentFrequency) {
      this.idf.set(term, Math.log(1 + documents.length / frequency));
    }
    this.maxIdf = Math.log(1 + documents.length);
    for (const { target, terms } of documents) {
      const weights = new Map(terms.map((term) => [term, this.weight(term)]));
      const norm = Math.sqrt([...weights.values()].reduce((sum, w) => sum + w * w, 0));
      if (norm > 0) this.examples.push({ target, terms: weights, norm });
    }
    const normalizedGreetings = greetings.map((greeting) => normalizeForMatching(greeting)).filter(Boolean);
    this.greetings = new Set(normalizedGreetings);
    this.greetingPrefixes = [...normalizedGreetings].sort((a, b) => b.length - a.length);
  }

  private weight(term: string): number {
    return this.idf.get(term) ?? this.maxIdf;
  }

  /** Removes greetings at the start ("السلام عليكم، متى …" → "متى …"), repeatedly. */
  private stripGreeting(normalized: string): { rest: string; greeted: boolean } {
    let rest = normalized;
    let greeted = false;
    for (let changed = true; changed; ) {
      changed = false;
      for (const greeting of this.greetingPrefixes) {
        if (rest === greeting || rest.startsWith(`${greeting} `)) {
          rest = rest.slice(greeting.length).trim();
          greeted = changed = true;
          break;
        }
      }
    }
    return { rest, greeted };
  }

  /**
   * True when the text uses a word or phrase of another service (`out_of_scope`). Compared as
   * written (normalised, clitics such as «ال»/«ب» removed), never through the dialect lexicon,
   * so «الاتصالات» as a company does not silence «التواصل» as a topic.
   */
  private mentionsOtherService(normalized: string): boolean {
    const words = tokenize(normalized);
    const text = ` ${words.map(withoutPrefix).join(' ')} `;
    for (const phrase of this.outOfScope) if (text.includes(` ${phrase} `)) return true;
    return false;
  }

  /** Ranks every topic for a text (best first). */
  rank(text: string): IntentMatch[] {
    const terms = [...new Set(termsOf(text))];
    if (terms.length === 0) return [];
    const queryNorm = Math.sqrt(terms.reduce((sum, term) => sum + this.weight(term) ** 2, 0));
    const best = new Map<IntentTarget, number>();
    for (const example of this.examples) {
      let dot = 0;
      for (const term of terms) {
        const weight = example.terms.get(term);
        if (weight !== undefined) {
          dot += weight * this.weight(term);
          continue;
        }
        for (const [exampleTerm, exampleWeight] of example.terms) {
          if (withinOneEdit(term, exampleTerm)) {
            dot += FUZZY_CREDIT * exampleWeight * this.weight(term);
            break;
          }
        }
      }
      let score = dot / (queryNorm * example.norm);
      const keywords = this.keywords.get(example.target);
      if (keywords && terms.some((term) => keywords.has(term))) score = Math.min(1, score + 0.2);
      if (score > (best.get(example.target) ?? 0)) best.set(example.target, score);
    }
    return [...best.entries()]
      .map(([target, score]) => ({ target, score }))
      .sort((a, b) => b.score - a.score);
  }

  /** Understands a free-text message at menu level: a bare greeting, a topic, or not understood. */
  match(text: string): MatchResult {
    // A topic is asked in a sentence or two; beyond that, only the opening is worth matching.
    const normalized = normalizeForMatching(text.slice(0, MAX_MATCHED_LENGTH));
    const { rest, greeted } = this.stripGreeting(normalized);
    if (greeted && rest === '') return { kind: 'greeting' };
    const ranked = this.rank(rest);
    const top = ranked[0];
    const foreign = this.mentionsOtherService(rest);
    if (top && top.score >= ACCEPT_SCORE && !foreign) return { kind: 'intent', match: top, greeted };
    const suggestions = ranked
      .filter((match) => match.score >= SUGGEST_SCORE)
      .slice(0, 3)
      .map((m) => m.target);
    return { kind: 'unknown', suggestions, greeted };
  }
}
