import { lightStem, normalizeForMatching, tokenize } from '../text/arabic.js';

/** One selectable option as the user sees it: its labels in every locale and its synonyms. */
export interface SelectableOption {
  labels: string[];
  synonyms: string[];
}

const LEADING_NUMBER = /^(\d{1,2})(?:\s|$)/;

function stems(text: string): string[] {
  return tokenize(normalizeForMatching(text)).map(lightStem);
}

/** A label or synonym as matchOption compares it: normalised, and its words' stems. */
interface PhraseForms {
  normalized: string;
  stems: string[];
}

/**
 * Options come from the flows and the locale files, so the same few hundred phrases are asked
 * for on every turn: their forms are worked out once. Bounded all the same (a label may carry
 * a parameter), by starting afresh when full.
 */
const PHRASE_FORMS_LIMIT = 4096;
const phraseForms = new Map<string, PhraseForms>();

function formsOf(phrase: string): PhraseForms {
  let forms = phraseForms.get(phrase);
  if (!forms) {
    if (phraseForms.size >= PHRASE_FORMS_LIMIT) phraseForms.clear();
    const normalized = normalizeForMatching(phrase);
    forms = { normalized, stems: tokenize(normalized).map(lightStem) };
    phraseForms.set(phrase, forms);
  }
  return forms;
}

/**
 * Finds which option a reply selects: its number (any digit script, "1", "١", "۱", "1.", "رقم 2"),
 * its label or a synonym exactly, or a reply that contains most of one label's words.
 * Returns the option index, or undefined when nothing (or more than one thing) fits.
 */
export function matchOption(reply: string, options: readonly SelectableOption[]): number | undefined {
  const normalized = normalizeForMatching(reply).replace(/^(رقم|خيار|number|option)\s+/, '');
  if (normalized.length === 0) return undefined;

  const numbered = LEADING_NUMBER.exec(normalized);
  if (numbered && normalized.length <= 4) {
    const index = Number(numbered[1]) - 1;
    return index >= 0 && index < options.length ? index : undefined;
  }

  const exact = options.findIndex((option) =>
    [...option.labels, ...option.synonyms].some((phrase) => formsOf(phrase).normalized === normalized),
  );
  if (exact >= 0) return exact;

  // Partial: the reply covers at least 60% of a label's or synonym's words; ties mean "unsure".
  const replyStems = new Set(stems(normalized));
  let best: { index: number; score: number } | undefined;
  let tie = false;
  options.forEach((option, index) => {
    for (const phrase of [...option.labels, ...option.synonyms]) {
      const phraseStems = formsOf(phrase).stems;
      if (phraseStems.length === 0) continue;
      const covered = phraseStems.filter((stem) => replyStems.has(stem)).length / phraseStems.length;
      const replyCovered = phraseStems.filter((stem) => replyStems.has(stem)).length / replyStems.size;
      const score = covered >= 0.6 && replyCovered >= 0.5 ? covered + replyCovered : 0;
      if (score === 0) continue;
      if (!best || score > best.score) {
        tie = best !== undefined && best.index !== index && Math.abs(best.score - score) < 1e-9;
        best = { index, score };
      } else if (best.index !== index && Math.abs(best.score - score) < 1e-9) {
        tie = true;
      }
    }
  });
  return best && !tie ? best.index : undefined;
}
