import { toAsciiDigits } from './digits.js';

/**
 * Arabic text normalisation for matching and validation. It is applied at the edge of the
 * matcher and the validators only; stored messages always keep the text exactly as sent.
 */

// Harakat, Quranic marks, superscript alef and tatweel carry no meaning for matching.
const DIACRITICS_AND_TATWEEL = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]/g;
// Directional marks, zero-width spaces and the Arabic letter mark: invisible, often pasted in.
// (ZWNJ/ZWJ, U+200C/U+200D, are kept in answers: they shape Persian words and emoji sequences.)
const INVISIBLE_CONTROLS = /[\u200B\u200E\u200F\u202A-\u202E\u2060-\u2069\u061C\uFEFF]/g;
const JOINERS = /[\u200C\u200D]/g;
const PUNCTUATION = /[\p{P}\p{S}]/gu;
const ELONGATION = /(\p{L})\1{2,}/gu;

/** Removes invisible bidi/zero-width characters (used before validating user answers). */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, '');
}

/**
 * Unifies letter variants that people type interchangeably: ا/أ/إ/آ/ٱ, ة/ه, ى/ي, ؤ/و, ئ/ي, Persian ک/ی.
 * A hamza before «و» is written on waw or on ya («مسؤول», «مسئول», «شؤون», «شئون»), with its own
 * waw or without it («مسؤل»), or left out («مسوول»): all of them meet at one «و» («مسول»).
 */
function unifyLetters(text: string): string {
  return text
    .replace(/[أإآٱ]/g, 'ا')
    .replace(/ة/g, 'ه')
    .replace(/[ىی]/g, 'ي')
    .replace(/[ؤئء]و/g, 'و')
    .replace(/ؤ/g, 'و')
    .replace(/ئ/g, 'ي')
    .replace(/ء/g, '')
    .replace(/وو/g, 'و')
    .replace(/ک/g, 'ك')
    .replace(/گ/g, 'ك');
}

/**
 * Canonical form for matching: NFKC (folds presentation forms), lower case, no diacritics or
 * tatweel, unified letters, ASCII digits, punctuation as spaces, elongation ("طلبيييي" → "طلبي") collapsed,
 * single spaces.
 */
export function normalizeForMatching(text: string): string {
  const folded = stripInvisible(text.normalize('NFKC'))
    .replace(JOINERS, '')
    .toLowerCase()
    .replace(DIACRITICS_AND_TATWEEL, '');
  return unifyLetters(toAsciiDigits(folded))
    .replace(PUNCTUATION, ' ')
    .replace(ELONGATION, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits normalised text into word tokens. */
export function tokenize(normalized: string): string[] {
  return normalized.split(' ').filter((token) => token.length > 0);
}

const PREFIXES = [
  'وبال',
  'وال',
  'بال',
  'كال',
  'فال',
  'هال',
  'لل',
  'ال',
  'وب',
  'ول',
  'وك',
  'ف',
  'و',
  'ب',
  'ل',
];
const SUFFIXES = ['كم', 'كن', 'هم', 'هن', 'ها', 'نا', 'ات', 'ون', 'ين', 'ان', 'يه', 'ه', 'ي', 'ك'];

/** The word without one leading clitic (و، ب، ل، ال …), keeping at least three letters. */
export function withoutPrefix(token: string): string {
  if (!/^[\u0621-\u064A]+$/.test(token)) return token;
  const prefix = PREFIXES.find(
    (candidate) => token.startsWith(candidate) && token.length - candidate.length >= 3,
  );
  return prefix ? token.slice(prefix.length) : token;
}

/**
 * A light stemmer (in the spirit of Larkey's light10): strips one common prefix and one common
 * suffix while keeping at least three letters, so "طلبي", "الطلب", "وطلبكم" meet at "طلب".
 */
export function lightStem(token: string): string {
  if (!/^[\u0621-\u064A]+$/.test(token)) return token;
  let stem = token;
  for (const prefix of PREFIXES) {
    if (stem.startsWith(prefix) && stem.length - prefix.length >= 3) {
      stem = stem.slice(prefix.length);
      break;
    }
  }
  for (const suffix of SUFFIXES) {
    if (stem.endsWith(suffix) && stem.length - suffix.length >= 3) {
      stem = stem.slice(0, -suffix.length);
      break;
    }
  }
  return stem;
}
