import { lightStem, normalizeForMatching, tokenize, withoutPrefix } from '../text/arabic.js';
import {
  ACKNOWLEDGEMENTS,
  DIALECT_LEXICON,
  FILLER_PHRASES,
  SET_PHRASES,
  STOPWORDS,
} from './dialect-lexicon.js';
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

/** A node that answers a courtesy («شكرًا» → main_menu/thanks). */
export interface CourtesyTarget {
  flowId: string;
  nodeId: string;
}

export type MatchResult =
  | { kind: 'greeting' }
  | { kind: 'courtesy'; target: CourtesyTarget }
  | { kind: 'intent'; match: IntentMatch; greeted: boolean }
  | { kind: 'unknown'; suggestions: IntentTarget[]; greeted: boolean };

interface Example {
  target: IntentTarget;
  terms: Map<string, number>;
  norm: number;
}

/** What a social phrase at the start or end of a message is. */
type SocialPhrase =
  | { kind: 'greeting' }
  | { kind: 'acknowledgement' }
  | { kind: 'courtesy'; target: CourtesyTarget; rank: number };

/** One word of an `out_of_scope` phrase; `prefix` when written with a trailing `*`. */
interface ForeignWord {
  word: string;
  prefix: boolean;
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

/**
 * Canonical question words, "want" and "do": they tell "when" from "how", but a message has to
 * share some other word with an example to mean its topic («كم عمرك» is not «كم مدة دراسة الطلب»).
 */
const QUESTION_TERMS = new Set(['ماذا', 'كيف', 'اين', 'متي', 'لماذا', 'كم', 'مين', 'اريد', 'افعل']);

/**
 * Egyptian and Levantine future markers on a verb («هتردوا», «حيردوا»): the verb without them
 * is what the lexicon knows. (The progressive «ب» is a clitic prefix already.)
 */
const FUTURE_MARKER = /^[هح](?=[يتنا])/;

/** The lexicon's canonical words. */
const CANONICAL_TERMS: ReadonlySet<string> = new Set(DIALECT_LEXICON.values());

/** Words that tie a phrase to what follows: «شكرًا على …», «شو الأخبار عن …». */
const CONNECTIVES = new Set(['عن', 'علي', 'بخصوص', 'حول', 'مع', 'في', 'for', 'about', 'on', 'with']);

const FILLER_PATTERN =
  FILLER_PHRASES.length > 0 ? new RegExp(`(^| )(${FILLER_PHRASES.join('|')})(?= |$)`, 'g') : undefined;

const SET_PHRASE_PATTERN =
  SET_PHRASES.size > 0 ? new RegExp(`(^| )(${[...SET_PHRASES.keys()].join('|')})(?= |$)`, 'g') : undefined;

/**
 * Normalised text without the set phrases that carry no topic («طال عمرك», «عن طريق»), and with
 * those that mean one word as that word («مسؤول البحث الاجتماعي» → «موظف»).
 */
function withoutFillers(normalized: string): string {
  let text = normalized;
  if (SET_PHRASE_PATTERN)
    text = text.replace(SET_PHRASE_PATTERN, (_, space: string, phrase: string) => {
      return `${space}${SET_PHRASES.get(phrase) ?? phrase}`;
    });
  if (FILLER_PATTERN) text = text.replace(FILLER_PATTERN, ' ');
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A message that asks for help in so many words («أحتاج مساعدة»، «ابي دعم»، «need help»): it is
 * addressed to the association whatever else it names.
 */
function asksForHelp(text: string): boolean {
  const terms = new Set(termsOf(text));
  return terms.has('اريد') && terms.has('مساعده');
}

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
  for (const token of tokenize(withoutFillers(normalizeForMatching(text))).flatMap(unglued)) {
    const stem = lightStem(token);
    // The lexicon knows whole words; try the word, then without its clitic prefix, then the stem,
    // then a verb without its future marker.
    // A letter typed twice («اقدمم», «طلبب») is the word the lexicon knows with it once.
    const undoubled = token.replace(/(\p{L})\1/gu, '$1');
    const canonical =
      DIALECT_LEXICON.get(token) ??
      DIALECT_LEXICON.get(withoutPrefix(token)) ??
      DIALECT_LEXICON.get(stem) ??
      (FUTURE_MARKER.test(token) && token.length >= 4 ? DIALECT_LEXICON.get(token.slice(1)) : undefined) ??
      (undoubled !== token && undoubled.length >= 3 ? DIALECT_LEXICON.get(undoubled) : undefined);
    const term = canonical ?? stem;
    // «وعندي» is «و» + «عندي»: a stop word behind a clitic is still one.
    if (!STOPWORDS.has(token) && !STOPWORDS.has(withoutPrefix(token)) && !STOPWORDS.has(term))
      terms.push(term);
  }
  return terms;
}

/**
 * Orders scores best first; two that are equal (to rounding: an exact example's cosine is 1 less
 * a little) — typically both at the cap after a keyword bonus — by the closer wording.
 */
function byScore(a: { score: number; cosine: number }, b: { score: number; cosine: number }): number {
  return Math.abs(a.score - b.score) > 1e-9 ? b.score - a.score : b.cosine - a.cosine;
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
  /** term → the indexes (ascending) of the examples that use it. */
  private readonly examplesWith = new Map<string, number[]>();
  private readonly idf = new Map<string, number>();
  private readonly keywords = new Map<IntentTarget, Set<string>>();
  /** Greetings, courtesies and acknowledgements, keyed by their words written without spaces. */
  private readonly social = new Map<string, SocialPhrase>();
  private longestSocial = 1;
  private readonly outOfScope: ForeignWord[][] = [];
  private readonly maxIdf: number;

  constructor(flows: FlowSet) {
    const documents: Array<{ target: IntentTarget; terms: string[] }> = [];
    const addSocial = (phrase: string, meaning: SocialPhrase) => {
      const words = tokenize(normalizeForMatching(phrase));
      const key = words.join('');
      if (key === '' || this.social.has(key)) return;
      this.social.set(key, meaning);
      this.longestSocial = Math.max(this.longestSocial, words.length);
    };
    let rank = 0;
    for (const flow of flows.values()) {
      const { definition } = flow;
      for (const [nodeId, phrases] of Object.entries(definition.courtesies)) {
        const meaning: SocialPhrase = {
          kind: 'courtesy',
          target: { flowId: definition.id, nodeId },
          rank: rank++,
        };
        for (const phrase of phrases) addSocial(phrase, meaning);
      }
    }
    for (const flow of flows.values()) {
      for (const greeting of flow.definition.greetings ?? []) addSocial(greeting, { kind: 'greeting' });
    }
    for (const word of ACKNOWLEDGEMENTS) addSocial(word, { kind: 'acknowledgement' });
    for (const flow of flows.values()) {
      const { definition } = flow;
      for (const phrase of definition.out_of_scope) {
        const words = phrase
          .split(/\s+/)
          .filter(Boolean)
          .flatMap((word) => {
            const prefix = word.endsWith('*');
            return tokenize(normalizeForMatching(prefix ? word.slice(0, -1) : word)).map((token, i, all) => ({
              word: withoutPrefix(token),
              prefix: prefix && i === all.length - 1,
            }));
          });
        if (words.length > 0) this.outOfScope.push(words);
      }
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
    this.examples.forEach((example, index) => {
      for (const term of example.terms.keys()) {
        const list = this.examplesWith.get(term);
        if (list) list.push(index);
        else this.examplesWith.set(term, [index]);
      }
    });
  }

  private weight(term: string): number {
    return this.idf.get(term) ?? this.maxIdf;
  }

  /** The social phrase made of these words (spaces ignored: «ياهلا» is «يا هلا»), if any. */
  private socialPhrase(words: string[], atEnd: boolean): SocialPhrase | undefined {
    const key = words.join('');
    // At the end a courtesy may come with «و» («… وشكرًا»); a greeting only opens a message.
    const meaning =
      this.social.get(key) ?? (atEnd && key.startsWith('و') ? this.social.get(key.slice(1)) : undefined);
    return meaning?.kind === 'greeting' && atEnd ? undefined : meaning;
  }

  /**
   * Removes greetings and courtesies around the question ("السلام عليكم، متى …؟ وشكرًا" →
   * "متى …"): greetings, courtesies and acknowledgements at the start, courtesies and
   * acknowledgements at the end, longest phrase first, repeatedly.
   */
  private stripSocial(normalized: string): { rest: string; found: SocialPhrase[] } {
    const words = tokenize(normalized);
    const found: SocialPhrase[] = [];
    let start = 0;
    let end = words.length;
    /** The longest social phrase in words[from, to) that starts at `from` (or ends at `to`). */
    const longest = (from: number, to: number, atEnd: boolean) => {
      for (let length = Math.min(this.longestSocial, to - from); length > 0; length--) {
        const meaning = this.socialPhrase(
          atEnd ? words.slice(to - length, to) : words.slice(from, from + length),
          atEnd,
        );
        if (meaning) return { meaning, length };
      }
      return undefined;
    };
    for (let changed = true; changed && start < end; ) {
      changed = false;
      const opening = longest(start, end, false);
      if (opening) {
        const next = start + opening.length;
        const connected = next < end && CONNECTIVES.has(words[next] as string) && !longest(next, end, false);
        if (!connected) {
          found.push(opening.meaning);
          start = next;
          changed = true;
        } else if (opening.meaning.kind === 'courtesy') {
          // «شكرًا على التعاون», «… على الرد السريع»: thanks for something is still thanks. What
          // it is for is one word, or two that end the message and ask nothing.
          const object = words.slice(next + 1, end);
          const asks = termsOf(object.join(' ')).some((term) => QUESTION_TERMS.has(term));
          found.push(opening.meaning);
          start = object.length <= 2 && !asks ? end : next + 2;
          changed = true;
        }
        // A greeting tied to what follows («شو الأخبار عن طلبي؟») belongs to the question.
      }
      if (changed) continue;
      const closing = longest(start, end, true);
      if (closing) {
        found.push(closing.meaning);
        end -= closing.length;
        changed = true;
      }
    }
    return { rest: words.slice(start, end).join(' '), found };
  }

  /**
   * True when the text uses a word or phrase of another service (`out_of_scope`). Compared as
   * written (normalised, clitics such as «ال»/«ب» removed), never through the dialect lexicon,
   * so «الاتصالات» as a company does not silence «التواصل» as a topic.
   */
  private mentionsOtherService(normalized: string): boolean {
    // The word as written and without a clitic: «بنكي» is no «ب» + «نكي». Worked out once per
    // word, not once per phrase compared with it.
    const words = tokenize(normalized).map((word) => [word, withoutPrefix(word)] as const);
    const fits = (forms: readonly [string, string] | undefined, foreign: ForeignWord) =>
      forms?.some((form) => (foreign.prefix ? form.startsWith(foreign.word) : form === foreign.word)) ===
      true;
    return this.outOfScope.some((phrase) =>
      words.some((_, start) => phrase.every((foreign, i) => fits(words[start + i], foreign))),
    );
  }

  /**
   * The examples' terms one edit away from a term (a typo, a dropped or doubled letter), or
   * undefined for a word the lexicon knows, which is no typo («تقديم» is not a misspelt
   * «تقييم»). Looked up once per term of a message: rank needs it for every example.
   */
  private nearMisses(term: string): ReadonlySet<string> | undefined {
    if (CANONICAL_TERMS.has(term)) return undefined;
    const near = new Set<string>();
    for (const known of this.idf.keys()) if (withinOneEdit(term, known)) near.add(known);
    return near;
  }

  /** Ranks every topic for a text (best first). */
  rank(text: string): IntentMatch[] {
    const terms = [...new Set(termsOf(text))];
    if (terms.length === 0) return [];
    const queryNorm = Math.sqrt(terms.reduce((sum, term) => sum + this.weight(term) ** 2, 0));
    const best = new Map<IntentTarget, { score: number; cosine: number }>();
    const nearMisses = new Map(terms.map((term) => [term, this.nearMisses(term)]));
    // Only an example sharing a term, or a near miss of one, can score: the others are skipped
    // below as not topical. Taken in their declared order, so that ties still go to the first.
    const candidates = new Set<number>();
    for (const term of terms) {
      for (const index of this.examplesWith.get(term) ?? []) candidates.add(index);
      for (const near of nearMisses.get(term) ?? [])
        for (const index of this.examplesWith.get(near) ?? []) candidates.add(index);
    }
    for (const index of [...candidates].sort((a, b) => a - b)) {
      const example = this.examples[index] as Example;
      let dot = 0;
      let topical = false;
      for (const term of terms) {
        const weight = example.terms.get(term);
        if (weight !== undefined) {
          dot += weight * this.weight(term);
          topical ||= !QUESTION_TERMS.has(term);
          continue;
        }
        const near = nearMisses.get(term);
        if (!near) continue;
        for (const [exampleTerm, exampleWeight] of example.terms) {
          if (near.has(exampleTerm)) {
            dot += FUZZY_CREDIT * exampleWeight * this.weight(term);
            topical ||= !QUESTION_TERMS.has(exampleTerm);
            break;
          }
        }
      }
      // Sharing only a question word («كم», «وش») says nothing about the topic.
      if (!topical) continue;
      let score = dot / (queryNorm * example.norm);
      const keywords = this.keywords.get(example.target);
      const cosine = score;
      if (keywords && terms.some((term) => keywords.has(term))) score = Math.min(1, score + 0.2);
      const previous = best.get(example.target);
      if (!previous || byScore({ score, cosine }, previous) < 0) best.set(example.target, { score, cosine });
    }
    // Two topics both at the cap after their keyword bonus: the closer wording wins.
    return [...best.entries()]
      .sort(([, a], [, b]) => byScore(a, b))
      .map(([target, { score }]) => ({ target, score }));
  }

  /**
   * Understands a free-text message at menu level: a bare greeting, a courtesy («شكرًا»), a
   * topic, or not understood.
   */
  match(text: string): MatchResult {
    // A topic is asked in a sentence or two; beyond that, only the opening is worth matching.
    const normalized = withoutFillers(normalizeForMatching(text.slice(0, MAX_MATCHED_LENGTH)));
    const stripped = this.stripSocial(normalized);
    const social = stripped.found.filter((phrase) => phrase.kind !== 'acknowledgement');
    // «تمام» alone is no courtesy: then the whole message is matched as it is.
    const rest = social.length > 0 || stripped.rest !== '' ? stripped.rest : normalized;
    const greeted = social.length > 0;
    // Nothing but greetings and courtesies (and words that carry no topic: «السلام عليكم يا أخي»).
    if (greeted && termsOf(rest).length === 0) {
      const courtesies = social.flatMap((phrase) => (phrase.kind === 'courtesy' ? [phrase] : []));
      const first = courtesies.sort((a, b) => a.rank - b.rank)[0];
      return first ? { kind: 'courtesy', target: first.target } : { kind: 'greeting' };
    }
    // Another service's question shares its other words with our topics by chance: no topic and
    // no "did you mean" for it («ابي رقم الشرطة» is not about the required information). Unless
    // the message asks the association itself for help: «مريض سكر وأحتاج مساعدة» is a need.
    if (this.mentionsOtherService(rest) && !asksForHelp(rest))
      return { kind: 'unknown', suggestions: [], greeted };
    const ranked = this.rank(rest);
    const top = ranked[0];
    if (top && top.score >= ACCEPT_SCORE) return { kind: 'intent', match: top, greeted };
    const suggestions = ranked
      .filter((match) => match.score >= SUGGEST_SCORE)
      .slice(0, 3)
      .map((m) => m.target);
    return { kind: 'unknown', suggestions, greeted };
  }
}
