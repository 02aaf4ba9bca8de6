import { parseNationalId } from '../domain/national-id.js';
import { parseSaudiMobile } from '../domain/phone.js';
import { parseReference } from '../domain/reference.js';
import { normalizeForMatching, stripInvisible, tokenize } from '../text/arabic.js';
import { toAsciiDigits } from '../text/digits.js';
import { matchOption, type SelectableOption } from './choice-matching.js';
import type { Validator } from './flow-schema.js';

export type AnswerValue = string | number | boolean | null;

export type ValidationResult = { ok: true; value: AnswerValue } | { ok: false; problem: string };

/**
 * Every problem each validator can report. The flow linter checks that
 * `validation.<kind>.<problem>` exists in every locale, so a new problem cannot ship untranslated.
 */
export const VALIDATION_PROBLEMS: Record<Validator['kind'], readonly string[]> = {
  text: ['too_short', 'too_long', 'letters'],
  number: ['not_number', 'too_small', 'too_large', 'not_integer'],
  saudi_mobile: ['invalid'],
  national_id: ['length', 'prefix', 'checksum'],
  choice: ['no_match'],
  yes_no: ['no_match'],
  rating: ['no_match', 'out_of_range'],
  reference: ['invalid'],
};

const fail = (problem: string): ValidationResult => ({ ok: false, problem });

function validateText(answer: string, rule: Extract<Validator, { kind: 'text' }>): ValidationResult {
  const value = stripInvisible(answer).trim();
  const length = [...value].length;
  if (length < rule.min) return fail('too_short');
  if (length > rule.max) return fail('too_long');
  const letters = value.match(/\p{L}/gu)?.length ?? 0;
  if (letters < rule.letters) return fail('letters');
  return { ok: true, value };
}

const NUMBER_WORDS: Record<string, number> = {
  صفر: 0,
  zero: 0,
  واحد: 1,
  واحده: 1,
  one: 1,
  اثنين: 2,
  اثنان: 2,
  ثنين: 2,
  اتنين: 2,
  two: 2,
  ثلاث: 3,
  ثلاثه: 3,
  تلاته: 3,
  three: 3,
  اربع: 4,
  اربعه: 4,
  four: 4,
  خمس: 5,
  خمسه: 5,
  five: 5,
  ست: 6,
  سته: 6,
  six: 6,
  سبع: 7,
  سبعه: 7,
  seven: 7,
  ثمان: 8,
  ثمانيه: 8,
  تمانيه: 8,
  eight: 8,
  تسع: 9,
  تسعه: 9,
  nine: 9,
  عشر: 10,
  عشره: 10,
  ten: 10,
};
const NOTHING_PHRASES =
  /^(ما عندي|ماعندي|ما في|مافي|ما فيه|مافيه|لا يوجد|لايوجد|ولا شي|لا شي|بدون|مفيش|ما لي|none|nothing|no income)/;
const THOUSANDS = /(الف|الاف|ألف|آلاف|k|thousand)$/;
// JavaScript's \b only knows ASCII letters, so word edges are spelled out for Arabic.
const UNITS =
  /(?<=^|\s)(ريال|ريالات|ر س|رس|sar|sr|riyals?|شهريا|في الشهر|بالشهر|افراد|فرد|اشخاص|شخص|نفر|انفار|persons?|people)(?=\s|$)/g;

/** Reads a number as people write it: "٣٥٠٠", "3,500 ريال", "3.5 الف", "-5", "خمسة", "ما عندي دخل" (→ 0). */
export function parseLooseNumber(answer: string): number | undefined {
  // Digits first, before normalisation turns "." and "-" into spaces.
  // Thousands separators: "3,500", "٣٬٥٠٠" and "3 500".
  const ascii = toAsciiDigits(stripInvisible(answer))
    .replace(/(\d)[, ](?=\d{3}(?!\d))/g, '$1')
    .trim();
  const numeric = /^(-?)\s*(\d+(?:\.\d+)?)(.*)$/s.exec(ascii);
  if (numeric) {
    const value = Number(numeric[2]) * (numeric[1] === '-' ? -1 : 1);
    const rest = normalizeForMatching(numeric[3] ?? '')
      .replace(UNITS, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (rest === '') return value;
    if (THOUSANDS.test(rest) && rest.split(' ').length === 1) return value * 1000;
    return undefined;
  }
  const text = normalizeForMatching(ascii);
  if (NOTHING_PHRASES.test(text)) return 0;
  const cleaned = text.replace(UNITS, ' ').replace(/\s+/g, ' ').trim();
  return NUMBER_WORDS[cleaned];
}

function validateNumber(answer: string, rule: Extract<Validator, { kind: 'number' }>): ValidationResult {
  const value = parseLooseNumber(answer);
  if (value === undefined || Number.isNaN(value)) return fail('not_number');
  if (rule.integer && !Number.isInteger(value)) return fail('not_integer');
  if (value < rule.min) return fail('too_small');
  if (value > rule.max) return fail('too_large');
  return { ok: true, value };
}

const YES = new Set([
  'نعم',
  'ايوه',
  'ايوا',
  'ايوة',
  'اي',
  'اكيد',
  'صح',
  'صحيح',
  'تمام',
  'موافق',
  'اوافق',
  'اقر',
  'طيب',
  'ماشي',
  'اوكي',
  'يب',
  'yes',
  'y',
  'ok',
  'okay',
  'sure',
  'yep',
  'yeah',
  'agree',
  'confirm',
  '👍',
  '✅',
]);
const NO = new Set(['لا', 'لاء', 'لأ', 'كلا', 'no', 'n', 'nope', 'غلط', 'خطا', '👎', '❌']);
// Normalisation splits "don't" into "don t": "don" stands for it.
const NEGATORS = new Set(['لا', 'ما', 'مو', 'مش', 'غير', 'not', 'don', 'dont', 'never']);

/** Yes/no in MSA, dialects and English; a negated "agree" («لا أوافق», «مو موافق») is a no. */
export function parseYesNo(answer: string): boolean | undefined {
  const tokens = tokenize(normalizeForMatching(answer));
  const emoji = answer.trim();
  if (YES.has(emoji)) return true;
  if (NO.has(emoji)) return false;
  if (tokens.length === 0 || tokens.length > 6) return undefined;
  const [first] = tokens as [string];
  if (NO.has(first)) return false;
  // A yes-word negated just before it («مو موافق», "I don't agree") is a no.
  const negated = tokens.some(
    (token, index) =>
      YES.has(token) && tokens.slice(Math.max(0, index - 2), index).some((before) => NEGATORS.has(before)),
  );
  if (negated) return false;
  if (tokens.some((token) => YES.has(token))) return true;
  return undefined;
}

// Checked in order, on normalised text (ء dropped, ة→ه): negated praise («مو زين») before praise.
const RATING_WORDS: Array<[RegExp, number]> = [
  [/(سي+ه? جدا|زفت|فاشل|very bad|terrible|awful|horrible)/, 1],
  [/(مو زين|مش كويس|مو حلو|مش حلو|مو جيد|غير جيد|not good|ضعيف|(^| )سي+ه?( |$)|poor|bad)/, 2],
  [/(ممتاز|رايع|رهيب|مره حلو|excellent|perfect|amazing|outstanding)/, 5],
  [/(جيد جدا|very good|كويس|زين|حلو|great|good job)/, 4],
  [/(جيد|مقبول|عادي|متوسط|اوكي|ok|okay|fine|good|average)/, 3],
];
const RATING_EMOJI: Array<[RegExp, number]> = [
  [/[😡😠🤬😞😢😭]/u, 1],
  [/[🙁😕👎😒]/u, 2],
  [/[😐😶]/u, 3],
  [/[🙂😊👍☺]/u, 4],
  [/[😍🤩😁🥰💯]/u, 5],
];

/** A 1–5 score from digits in any script ("٤", "4/5"), stars, emoji or words («ممتاز», «جيد جدا»). */
export function parseRating(answer: string): { score: number } | { problem: 'no_match' | 'out_of_range' } {
  const stars = answer.match(/[⭐★🌟]/gu)?.length ?? 0;
  if (stars > 0) return stars <= 5 ? { score: stars } : { problem: 'out_of_range' };
  const normalized = normalizeForMatching(answer);
  if (/^\s*-\s*\d/.test(toAsciiDigits(answer))) return { problem: 'out_of_range' };
  const digits = /^(\d{1,3})(?:\s*(?:من|\/|out of)\s*(?:5|10))?$/.exec(
    toAsciiDigits(answer).trim().replace(/\s+/g, ' '),
  );
  const digitToken = digits?.[1] ?? (/^\d{1,3}$/.test(normalized) ? normalized : undefined);
  if (digitToken !== undefined) {
    const score = Number(digitToken);
    return score >= 1 && score <= 5 ? { score } : { problem: 'out_of_range' };
  }
  for (const [pattern, score] of RATING_WORDS) if (pattern.test(normalized)) return { score };
  for (const [pattern, score] of RATING_EMOJI) if (pattern.test(answer)) return { score };
  return { problem: 'no_match' };
}

/** Runs a node's validator on an answer. `options` are the node's choices (for `choice`). */
export function validateAnswer(
  answer: string,
  rule: Validator,
  options: readonly SelectableOption[] = [],
): ValidationResult {
  switch (rule.kind) {
    case 'text':
      return validateText(answer, rule);
    case 'number':
      return validateNumber(answer, rule);
    case 'saudi_mobile': {
      const mobile = parseSaudiMobile(answer);
      return mobile ? { ok: true, value: mobile } : fail('invalid');
    }
    case 'national_id': {
      const id = parseNationalId(answer);
      return id.ok ? { ok: true, value: id.value } : fail(id.problem);
    }
    case 'choice': {
      const index = matchOption(answer, options);
      return index === undefined ? fail('no_match') : { ok: true, value: index };
    }
    case 'yes_no': {
      const yes = parseYesNo(answer);
      return yes === undefined ? fail('no_match') : { ok: true, value: yes };
    }
    case 'rating': {
      const rating = parseRating(answer);
      return 'score' in rating ? { ok: true, value: rating.score } : fail(rating.problem);
    }
    case 'reference': {
      const reference = parseReference(answer);
      return reference ? { ok: true, value: reference } : fail('invalid');
    }
  }
}
