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
    [...option.labels, ...option.synonyms].some((phrase) => normalizeForMatching(phrase) === normalized),
  );
  if (exact >= 0) return exact;

  // Partial: the reply covers at least 60% of a label's or synonym's words; ties mean "unsure".
  const replyStems = new Set(stems(normalized));
  let best: { index: number; score: number } | undefined;
  let tie = false;
  options.forEach((option, index) => {
    for (const phrase of [...option.labels, ...option.synonyms]) {
      const phraseStems = stems(phrase);
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
