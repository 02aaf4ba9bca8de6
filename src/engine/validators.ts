import { parseNationalId } from '../domain/national-id.js';
import { parseSaudiMobile } from '../domain/phone.js';
import { findReference } from '../domain/reference.js';
import { normalizeForMatching, stripInvisible, tokenize } from '../text/arabic.js';
import { toAsciiDigits } from '../text/digits.js';
import { matchOption, type SelectableOption } from './choice-matching.js';
import { DIALECT_LEXICON } from './dialect-lexicon.js';
import type { Validator } from './flow-schema.js';

export type AnswerValue = string | number | boolean | null;

export type ValidationResult = { ok: true; value: AnswerValue } | { ok: false; problem: string };

/**
 * Every problem each validator can report. The flow linter checks that
 * `validation.<kind>.<problem>` exists in every locale, so a new problem cannot ship untranslated.
 */
export const VALIDATION_PROBLEMS: Record<Validator['kind'], readonly string[]> = {
  text: ['too_short', 'too_long', 'letters', 'characters', 'question'],
  full_name: ['one_word', 'characters', 'too_long', 'question'],
  number: ['not_number', 'unit', 'too_small', 'too_large', 'not_integer', 'question'],
  saudi_mobile: ['invalid', 'not_digits'],
  national_id: ['length', 'prefix', 'checksum', 'not_digits'],
  choice: ['no_match'],
  yes_no: ['no_match'],
  rating: ['no_match', 'out_of_range', 'scale'],
  reference: ['invalid', 'checksum'],
};

const fail = (problem: string): ValidationResult => ({ ok: false, problem });

/**
 * Question words a question opens with, as the dialect lexicon folds them: «وش», «ايش», «شو» are
 * ماذا, «ليش», «ليه» لماذا, «وين», «فين» اين, "why", "how"… — the same spellings the matcher knows.
 */
const QUESTION_OPENERS = new Set(['هل', 'ماذا', 'كيف', 'اين', 'متي', 'لماذا'].map(normalizeForMatching));

/**
 * A message that asks something instead of answering: it ends with a question mark or opens with
 * a question word. Where a name, a city or a number is asked, it gets its own reason (answer
 * first, ask after the request is sent) rather than «letters only» or «a number only».
 */
export function isQuestion(answer: string): boolean {
  if (/[?؟]\s*$/u.test(answer.trim())) return true;
  const [first] = tokenize(normalizeForMatching(answer));
  return first !== undefined && QUESTION_OPENERS.has(DIALECT_LEXICON.get(first) ?? first);
}

/**
 * The words people label a number with: «رقم هويتي 1234567897», «جوالي: ٠٥٥…», «رقم الإقامة
 * 2…». Only these are set aside around an ID or a mobile; any other word keeps the answer from
 * being one (a name and an ID in one message is asked again).
 */
const NUMBER_LABELS = new Set(
  [
    'رقم',
    'رقمي',
    'الرقم',
    'هو',
    'هي',
    'هويتي',
    'الهويه',
    'هويه',
    'الوطنيه',
    'وطنيه',
    'اقامتي',
    'الاقامه',
    'اقامه',
    'السجل',
    'المدني',
    'سجل',
    'مدني',
    'جوالي',
    'الجوال',
    'جوال',
    'موبايلي',
    'الموبايل',
    'تلفوني',
    'هاتفي',
    'الهاتف',
    'واتسابي',
    'my',
    'id',
    'iqama',
    'number',
    'is',
    'mobile',
    'phone',
  ].map(normalizeForMatching),
);

/** The digits part of an answer whose only words are labels («رقم هويتي ١٢٣٤…»); else the answer. */
function withoutNumberLabels(answer: string): string {
  if (!/\p{L}/u.test(answer) || !/\d/.test(toAsciiDigits(answer))) return answer;
  const words = tokenize(normalizeForMatching(answer.replace(/[\d\u0660-\u0669\u06F0-\u06F9+]+/g, ' ')));
  if (!words.every((word) => NUMBER_LABELS.has(word))) return answer;
  return answer.replace(/[^\d\u0660-\u0669\u06F0-\u06F9+\s-]/g, ' ').trim();
}

function validateText(answer: string, rule: Extract<Validator, { kind: 'text' }>): ValidationResult {
  const value = stripInvisible(answer).trim();
  // A place in words is never a question; a description may well contain one.
  if (rule.only_letters && isQuestion(value)) return fail('question');
  const length = [...value].length;
  if (length < rule.min) return fail('too_short');
  if (length > rule.max) return fail('too_long');
  const letters = value.match(/\p{L}/gu)?.length ?? 0;
  if (letters < rule.letters) return fail('letters');
  if (rule.only_letters && ![...value].every((char) => PLAIN_WORD_CHARACTER.test(char)))
    return fail('characters');
  return { ok: true, value };
}

// A place or similar short answer in words: letters of any script with their marks, spaces and
// the punctuation such names are written with («الدمام - حي الشاطئ»، «Al-Khobar»، «أبها، عسير»).
const PLAIN_WORD_CHARACTER = /^[\p{L}\p{M} '’ʼ\-.,،\u0640\u200C]$/u;

// Letters of the Arabic and Latin scripts with their marks, spaces, hyphens and apostrophes
// (tatweel and ZWNJ too, which names are typed with).
const NAME_CHARACTER =
  /^(?:(?=[\p{Script=Arabic}\p{Script=Latin}])[\p{L}\p{M}]|\p{M}|[ '’ʼ\-\u0640\u200C])$/u;

/** A full name: at least two words of letters (Arabic or Latin), no digits or symbols. */
function validateFullName(answer: string, rule: Extract<Validator, { kind: 'full_name' }>): ValidationResult {
  const value = stripInvisible(answer).normalize('NFC').replace(/\s+/g, ' ').trim();
  if (isQuestion(value)) return fail('question');
  if ([...value].length > rule.max) return fail('too_long');
  if (![...value].every((char) => NAME_CHARACTER.test(char))) return fail('characters');
  const words = value.split(' ').filter((word) => (word.match(/\p{L}/gu)?.length ?? 0) >= 2);
  if (words.length < 2) return fail('one_word');
  return { ok: true, value };
}

const NUMBER_WORDS: Record<string, number> = {
  صفر: 0,
  zero: 0,
  واحد: 1,
  واحده: 1,
  احد: 1,
  one: 1,
  اثنين: 2,
  اثنان: 2,
  اثنتين: 2,
  اثنتان: 2,
  ثنتين: 2,
  ثنين: 2,
  اتنين: 2,
  اثنا: 2,
  two: 2,
  ثلاث: 3,
  ثلاثه: 3,
  تلات: 3,
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
  ثماني: 8,
  ثمانيه: 8,
  تمان: 8,
  تمانيه: 8,
  eight: 8,
  تسع: 9,
  تسعه: 9,
  nine: 9,
  عشر: 10,
  عشره: 10,
  ten: 10,
  عشرين: 20,
  عشرون: 20,
  twenty: 20,
  ثلاثين: 30,
  ثلاثون: 30,
  تلاتين: 30,
  thirty: 30,
  اربعين: 40,
  اربعون: 40,
  forty: 40,
  خمسين: 50,
  خمسون: 50,
  fifty: 50,
  ستين: 60,
  ستون: 60,
  sixty: 60,
  سبعين: 70,
  سبعون: 70,
  seventy: 70,
  ثمانين: 80,
  ثمانون: 80,
  تمانين: 80,
  eighty: 80,
  تسعين: 90,
  تسعون: 90,
  ninety: 90,
  ميتين: 200,
  مايتين: 200,
  ميتان: 200,
  مايتان: 200,
  الفين: 2000,
  الفان: 2000,
  مليونين: 2_000_000,
};
// «خمسمية», «ثلاثمائة», «تسعميت» (normalised: ء dropped, ة → ه, ئ → ي): 300–900 in one word.
for (const [prefix, value] of Object.entries({
  ثلاث: 3,
  ثلث: 3,
  تلت: 3,
  تلات: 3,
  اربع: 4,
  خمس: 5,
  ست: 6,
  سبع: 7,
  ثمان: 8,
  ثمن: 8,
  تمن: 8,
  تمان: 8,
  تسع: 9,
})) {
  for (const hundred of ['ميه', 'مايه', 'ميت']) NUMBER_WORDS[`${prefix}${hundred}`] = value * 100;
}
/** Words that multiply what comes before them: «ثلاث مية», «ستة آلاف», «مليون». */
const SCALES: Record<string, number> = {
  ميه: 100,
  مايه: 100,
  ميت: 100,
  hundred: 100,
  الف: 1000,
  الاف: 1000,
  تلاف: 1000,
  الوف: 1000,
  thousand: 1000,
  k: 1000,
  مليون: 1_000_000,
  ملايين: 1_000_000,
  million: 1_000_000,
};
const HALF = new Set(['نص', 'نصف', 'half']);
/** Words around a number that change nothing: «تقريبًا ٣٠٠٠ فقط». */
const NUMBER_FILLERS = new Set([
  'فقط',
  'بس',
  'تقريبا',
  'حوالي',
  'حولي',
  'يعني',
  'about',
  'around',
  'approximately',
  'only',
  'just',
  // who or what is counted, said around the number: «احنا خمسة», «عددنا ٦», «دخلي ٣٠٠٠»
  'احنا',
  'نحن',
  'حنا',
  'عددنا',
  'عددهم',
  'عدد',
  'الاسره',
  'اسرتي',
  'العايله',
  'عايلتي',
  'دخلي',
  'دخلنا',
  'الدخل',
  'دخل',
  'راتبي',
  'الراتب',
  'راتب',
  'we',
  'are',
  'is',
  'my',
  'income',
  'salary',
]);
const NOTHING_PHRASES =
  /^(ما عندي|ماعندي|ما في|مافي|ما فيه|مافيه|لا يوجد|لايوجد|ولا شي|لا شي|بدون|مفيش|ما لي|none|nothing|no income)/;
// JavaScript's \b only knows ASCII letters, so word edges are spelled out for Arabic.
const edge = (words: string) => new RegExp(`(?<=^|\\s)(${words})(?=\\s|$)`, 'g');
const SAR_UNITS = edge('ريال|ريالات|ر س|رس|sar|sr|riyals?');
const PEOPLE_UNITS = edge('افراد|فرد|اشخاص|شخص|نفر|انفار|انفس|نفوس|persons?|people|members?|family members');
const NEUTRAL_UNITS = edge('شهريا|في الشهر|بالشهر|كل شهر|شهري|monthly|a month|per month');

/** What a number was said to count: «٣٠٠٠ ريال» (sar), «٦ أفراد» (people). */
export type NumberUnit = 'sar' | 'people';

export interface Quantity {
  value: number;
  unit?: NumberUnit;
}

/** Reads number words and digits together: «ثلاثة آلاف وخمسمية», «٢ ألف», «الف ونص», «2.5 الف». */
function readNumberTokens(tokens: readonly string[]): number | undefined {
  let total = 0;
  let current = 0;
  let lastScale = 0;
  let any = false;
  // Two numbers in a row need «و» or a scale between them («٣ ٥» is no number), but for the
  // teens («خمسة عشر»).
  let afterTerm = false;
  const addTerm = (value: number, token: string): boolean => {
    if (afterTerm && !(/^عشر/.test(token) && current > 0 && current < 10)) return false;
    current += value;
    afterTerm = true;
    return true;
  };
  for (const raw of tokens) {
    if (raw === 'و' || raw === 'and') {
      afterTerm = false;
      continue;
    }
    // «وخمسمية», «و٥٠٠»: the conjunction is written joined to the next number.
    const joined = raw.startsWith('و') && raw.length > 1 && isNumberToken(raw.slice(1));
    if (joined) afterTerm = false;
    const token = joined ? raw.slice(1) : raw;
    const literal = /^(\d+(?:\uE000\d+)?)(k)?$/.exec(token);
    if (literal) {
      const value = Number((literal[1] as string).replace('\uE000', '.'));
      if (literal[2]) {
        total += value * 1000;
        lastScale = 1000;
        afterTerm = false;
      } else if (!addTerm(value, token)) return undefined;
      any = true;
    } else if (token in NUMBER_WORDS) {
      const value = NUMBER_WORDS[token] as number;
      if (value >= 1000) {
        total += (current || 1) * value;
        current = 0;
        lastScale = value >= 1_000_000 ? 1_000_000 : 1000;
        afterTerm = false;
      } else if (!addTerm(value, token)) return undefined;
      any = true;
    } else if (token in SCALES) {
      afterTerm = false;
      const scale = SCALES[token] as number;
      if (scale === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * scale;
        current = 0;
      }
      lastScale = scale;
      any = true;
    } else if (HALF.has(token) && lastScale > 0) {
      current += lastScale / 2;
    } else return undefined;
  }
  return any ? total + current : undefined;
}

function isNumberToken(token: string): boolean {
  return /^\d/.test(token) || token in NUMBER_WORDS || token in SCALES || HALF.has(token);
}

/**
 * Reads a quantity as people write it — "٣٥٠٠", "3,500 ريال", "3.5 الف", «ألفين», «ستة آلاف»,
 * «ثلاثة آلاف وخمسمية», «٦ أفراد», "-5", "ما عندي دخل" (→ 0) — with the unit it names, if any.
 */
export function parseQuantity(answer: string): Quantity | undefined {
  // Thousands separators ("3,500", "٣٬٥٠٠", "3 500") and the decimal point go before
  // normalisation, which turns punctuation into spaces; the point is kept as a private-use mark.
  let text = toAsciiDigits(stripInvisible(answer))
    .replace(/(\d)[, ](?=\d{3}(?!\d))/g, '$1')
    .trim();
  let sign = 1;
  const minus = /^[-−]\s*(?=\d)/.exec(text);
  if (minus) {
    sign = -1;
    text = text.slice(minus[0].length);
  }
  const normalized = normalizeForMatching(text.replace(/(\d)\.(?=\d)/g, '$1\uE000'));
  if (normalized === '') return undefined;
  if (NOTHING_PHRASES.test(normalized)) return { value: 0 };
  const units = new Set<NumberUnit>();
  const rest = normalized
    .replace(SAR_UNITS, () => {
      units.add('sar');
      return ' ';
    })
    .replace(PEOPLE_UNITS, () => {
      units.add('people');
      return ' ';
    })
    .replace(NEUTRAL_UNITS, ' ');
  if (units.size > 1) return undefined;
  const tokens = tokenize(rest.replace(/\s+/g, ' ').trim()).filter((token) => !NUMBER_FILLERS.has(token));
  const value = readNumberTokens(tokens);
  if (value === undefined) return undefined;
  const [unit] = units;
  return unit ? { value: sign * value, unit } : { value: sign * value };
}

/** Reads a number as people write it (see parseQuantity), ignoring the unit. */
export function parseLooseNumber(answer: string): number | undefined {
  return parseQuantity(answer)?.value;
}

function validateNumber(answer: string, rule: Extract<Validator, { kind: 'number' }>): ValidationResult {
  const quantity = parseQuantity(answer);
  if (quantity === undefined || Number.isNaN(quantity.value))
    return fail(isQuestion(answer) ? 'question' : 'not_number');
  // «ستة أفراد» is no income: a number said to count something else is asked again.
  if (rule.unit && quantity.unit && quantity.unit !== rule.unit) return fail('unit');
  const { value } = quantity;
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
  'بلي',
  'اكيد',
  'طبعا',
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
// «إيه» is yes in the Gulf and the Levant but «what» in Egypt, and «آه» also a sigh: they count
// as yes only in a message that is nothing but a yes.
const BARE_YES = new Set(['ايه', 'اه']);
const NO = new Set(['لا', 'لاء', 'لأ', 'كلا', 'no', 'n', 'nope', 'غلط', 'خطا', 'بعدين', 'لاحقا', '👎', '❌']);
// Normalisation splits "don't" into "don t": "don" stands for it.
const NEGATORS = new Set([
  'لا',
  'ولا',
  'ما',
  'مافي',
  'مفيش',
  'ماكو',
  'مو',
  'مش',
  'مب',
  'موب',
  'مهب',
  'مهوب',
  'غير',
  'ليس',
  'ليست',
  'لم',
  'لن',
  'not',
  'don',
  'dont',
  'didn',
  'doesn',
  'isn',
  'wasn',
  'never',
]);
/** Words a bare yes or no may carry without saying anything more: «لا شكرًا», «نعم أبي». */
/** Words of wanting and having: «أبي», «عندي» (a yes when nothing negates them). */
const WANT_OR_HAVE = new Set([
  'ابي',
  'ابغي',
  'ابغا',
  'ابغى',
  'اريد',
  'بدي',
  'عايز',
  'عاوز',
  'ودي',
  'نبي',
  'نريد',
  'want',
  'عندي',
  'لدي',
  'عندنا',
  'لدينا',
  'have',
]);
const YES_NO_COMPANIONS = new Set([
  // courtesy
  'شكرا',
  'والله',
  'لو',
  'سمحت',
  'سمحتو',
  'يعطيك',
  'يعطيكم',
  'العافيه',
  'جزاك',
  'جزاكم',
  'الله',
  'خير',
  'please',
  'thanks',
  'thank',
  'you',
  'pls',
  // wanting and having («نعم أريد», «ما عندي ملاحظات», «مو لازم»)
  ...WANT_OR_HAVE,
  'i',
  'do',
  'it',
  'a',
  'ملاحظه',
  'ملاحظات',
  'اقتراح',
  'تعليق',
  'comment',
  'comments',
  'شي',
  'شيء',
  'حاجه',
  'لازم',
  'داعي',
  'الحين',
  'الان',
  'now',
]);
// «لا مانع», «ما عندي مانع»: no objection is a yes.
const NO_OBJECTION = /^(لا|ما|مافي|ما في|ما عندي|ماعندي|ليس لدي)\s*مانع/;

/** Tokens of an answer with a glued negation split off: «مابي» → «ما ابي», «ماعندي» → «ما عندي». */
function yesNoTokens(answer: string): string[] {
  return tokenize(normalizeForMatching(answer)).flatMap((token) => {
    // «ماشي» is a yes, not «ما شي».
    const rest = token.startsWith('ما') && !YES.has(token) ? token.slice(2) : '';
    if (rest && (YES_NO_COMPANIONS.has(rest) || YES_NO_COMPANIONS.has(`ا${rest}`))) {
      return ['ما', YES_NO_COMPANIONS.has(rest) ? rest : `ا${rest}`];
    }
    return [token];
  });
}

/**
 * A message that is nothing but a yes or a no: «نعم», «ايوه أبي», «إيه والله», «لا شكرًا»,
 * «ما عندي ملاحظات», «مو لازم», «لا مانع» (yes). Anything that says more is undefined, so a
 * sentence that starts with «نعم» is still read as what it says.
 */
export function parseBareYesNo(answer: string): boolean | undefined {
  const trimmed = answer.trim();
  if (YES.has(trimmed)) return true;
  if (NO.has(trimmed)) return false;
  const tokens = yesNoTokens(answer);
  if (tokens.length === 0 || tokens.length > 6) return undefined;
  if (NO_OBJECTION.test(tokens.join(' '))) return true;
  const known = (token: string) =>
    YES.has(token) ||
    BARE_YES.has(token) ||
    NO.has(token) ||
    NEGATORS.has(token) ||
    YES_NO_COMPANIONS.has(token);
  if (!tokens.every(known)) return undefined;
  if (NO.has(tokens[0] as string) || tokens.some((token) => NEGATORS.has(token))) return false;
  if (tokens.some((token) => YES.has(token) || BARE_YES.has(token) || WANT_OR_HAVE.has(token))) return true;
  return undefined;
}

/** Yes/no in MSA, dialects and English; a negated "agree" («لا أوافق», «مو موافق») is a no. */
export function parseYesNo(answer: string): boolean | undefined {
  const bare = parseBareYesNo(answer);
  if (bare !== undefined) return bare;
  const tokens = tokenize(normalizeForMatching(answer));
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

/** Sentiment words, checked per token on normalised text (ء dropped, ة → ه, ئ → ي). */
const RATING_WORDS: Array<[RegExp, number]> = [
  [/^(زفت|فاشل|فاشله|خربان|تعيس|تعيسه|terrible|awful|horrible|worst)$/, 1],
  [/^(سي+ه?|ضعيف|ضعيفه|وحش|وحشه|خايس|خايسه|bad|poor)$/, 2],
  [/^(جيد|جيده|مقبول|مقبوله|عادي|عاديه|متوسط|متوسطه|اوكي|ok|okay|fine|good|average|acceptable)$/, 3],
  [/^(كويس|كويسه|زين|زينه|حلو|حلوه|عجبني|عجبتني|اعجبني|اعجبتني|عجبنا|great|nice|liked)$/, 4],
  [
    /^(ممتاز|ممتازه|ممتازين|رايع|رايعه|رهيب|رهيبه|خرافي|روعه|excellent|perfect|amazing|outstanding|awesome|loved)$/,
    5,
  ],
];
const INTENSIFIERS = new Set(['جدا', 'مره', 'كثير', 'كتير', 'خالص', 'وايد', 'حيل', 'very', 'so', 'really']);
/** A contrast ends the reach of a negation: «مو سريع بس ممتاز». */
const CONTRAST = new Set(['بس', 'لكن', 'لاكن', 'but']);
const RATING_EMOJI: Array<[RegExp, number]> = [
  [/[😡😠🤬😞😢😭]/u, 1],
  [/[🙁😕👎😒]/u, 2],
  [/[😐😶]/u, 3],
  [/[🙂😊👍☺]/u, 4],
  [/[😍🤩😁🥰💯]/u, 5],
];
const STAR_WORDS = /^(نجوم|نجمات|نجمه|نجم|stars?)$/;
const TWO_STARS = /^(نجمتين|نجمتان)$/;
/** Words around a score that change nothing: «أعطيكم ٤ نجوم», «تقييمي خمسة». */
const RATING_FILLERS = new Set([
  'اعطيكم',
  'اعطيك',
  'اعطي',
  'عطيتكم',
  'تقييمي',
  'تقييم',
  'التقييم',
  'درجه',
  'ابي',
  'اقيم',
  'اقيمكم',
  'give',
  'i',
  'rate',
  'rating',
  'it',
  'a',
  'فقط',
]);

type RatingResult = { score: number } | { problem: 'no_match' | 'out_of_range' | 'scale' };

/** A number token (digits or a word up to ten) as a score, or undefined. */
function scoreNumber(token: string): number | undefined {
  if (/^\d{1,3}$/.test(token)) return Number(token);
  // «أحد» is «someone» far more often than «one» («ولا أحد رد»).
  if (token === 'احد' || !(token in NUMBER_WORDS)) return undefined;
  const value = NUMBER_WORDS[token] as number;
  return value <= 10 ? value : undefined;
}

function inRange(score: number): RatingResult {
  return score >= 1 && score <= 5 ? { score } : { problem: 'out_of_range' };
}

/** Negators split off a glued «ما»: «ماعجبني» → «ما عجبني», «ماكانت» → «ما كانت». */
function ratingTokens(normalized: string): string[] {
  return tokenize(normalized).flatMap((token) => {
    const rest = token.startsWith('ما') ? token.slice(2) : '';
    if (rest.length >= 3 && (/^(كان|كنت)/.test(rest) || RATING_WORDS.some(([word]) => word.test(rest)))) {
      return ['ما', rest];
    }
    return [token];
  });
}

/** The score the words give: negated praise («مو زين», «ماكانت زينة», «مش ممتازة») is low. */
function scoreWords(tokens: readonly string[]): number | undefined {
  let lowest: number | undefined;
  tokens.forEach((token, index) => {
    const word = RATING_WORDS.find(([pattern]) => pattern.test(token));
    if (!word) return;
    let negated = false;
    for (let before = index - 1; before >= Math.max(0, index - 3); before -= 1) {
      const previous = tokens[before] as string;
      if (CONTRAST.has(previous)) break;
      if (NEGATORS.has(previous)) negated = true;
    }
    const base = word[1];
    const intensified =
      INTENSIFIERS.has(tokens[index + 1] ?? '') || INTENSIFIERS.has(tokens[index - 1] ?? '');
    let score: number;
    if (negated) score = base >= 3 ? 2 : 3;
    else if (intensified) score = base >= 3 ? Math.min(5, base + 1) : 1;
    else score = base;
    lowest = lowest === undefined ? score : Math.min(lowest, score);
  });
  return lowest;
}

/**
 * A 1–5 score from digits in any script ("٤", "4/5", "٤ من ٥"), number words («ثلاثة»), stars
 * («⭐⭐⭐», «5 نجوم», «نجمتين»), emoji or words («ممتاز», «جيد جدا», negated «مو زين»). A score
 * on another scale («٣ من ١٠») is refused as `scale`, never converted.
 */
export function parseRating(answer: string): RatingResult {
  const stars = answer.match(/[⭐★🌟]/gu)?.length ?? 0;
  if (stars > 0) return stars <= 5 ? { score: stars } : { problem: 'out_of_range' };
  const ascii = toAsciiDigits(answer);
  if (/^\s*[-−]\s*\d/.test(ascii)) return { problem: 'out_of_range' };
  // «٤/٥», "4 out of 5" → «4 من 5» before normalisation turns the slash into a space.
  const normalized = normalizeForMatching(ascii.replace(/\//g, ' من ').replace(/\bout of\b/gi, ' من '));
  const tokens = ratingTokens(normalized).filter((token) => !RATING_FILLERS.has(token));

  // A scale: «٣ من ١٠», «8/10», «خمسة من خمسة».
  const of = tokens.findIndex((token, index) => (token === 'من' || token === 'على') && index > 0);
  if (of > 0) {
    const score = scoreNumber(tokens[of - 1] as string);
    const scale = scoreNumber(tokens[of + 1] ?? '');
    if (score !== undefined && scale !== undefined) {
      if (scale !== 5) return { problem: 'scale' };
      return inRange(score);
    }
  }
  if (tokens.some((token) => TWO_STARS.test(token))) return { score: 2 };

  // One number, alone or with «نجوم» or a label's words («٤ — جيدة جدًا»), is the score; a
  // number inside a sentence («تأخروا ٣ أيام») is not.
  const numbers = tokens.map(scoreNumber).filter((value) => value !== undefined);
  const digitsOnly = tokens.length > 0 && tokens.every((token) => /^\d+$/.test(token));
  if (digitsOnly && tokens.some((token) => token.length > 3)) return { problem: 'no_match' };
  const aroundScore = (token: string) =>
    scoreNumber(token) !== undefined ||
    STAR_WORDS.test(token) ||
    INTENSIFIERS.has(token) ||
    RATING_WORDS.some(([pattern]) => pattern.test(token));
  if (numbers.length === 1 && tokens.every(aroundScore)) return inRange(numbers[0] as number);
  if (tokens.length > 0 && tokens.every((token) => STAR_WORDS.test(token))) return { score: 1 };

  const words = scoreWords(tokens);
  if (words !== undefined) return { score: words };
  for (const [pattern, score] of RATING_EMOJI) if (pattern.test(answer)) return { score };
  return { problem: 'no_match' };
}

/**
 * Whether an answer could be meant for this kind of question at all (a question marked
 * `free_text` understands the others as free text). Only a reference is that sure: without a
 * single digit («شكرًا», «أبي أقدم طلب ثاني») it cannot be one.
 */
export function mayAnswer(answer: string, rule: Validator): boolean {
  if (rule.kind === 'reference') return /\d/.test(toAsciiDigits(answer));
  return true;
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
    case 'full_name':
      return validateFullName(answer, rule);
    case 'number':
      return validateNumber(answer, rule);
    case 'saudi_mobile': {
      if (!/\d/.test(toAsciiDigits(answer))) return fail('not_digits');
      const mobile = parseSaudiMobile(withoutNumberLabels(answer));
      return mobile ? { ok: true, value: mobile } : fail('invalid');
    }
    case 'national_id': {
      if (!/\d/.test(toAsciiDigits(answer))) return fail('not_digits');
      const id = parseNationalId(withoutNumberLabels(answer));
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
      const found = findReference(answer);
      if (!found) return fail('invalid');
      return 'reference' in found ? { ok: true, value: found.reference } : fail(found.problem);
    }
  }
}
