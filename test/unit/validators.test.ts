import { describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/domain/luhn.js';
import type { SelectableOption } from '../../src/engine/choice-matching.js';
import type { Validator } from '../../src/engine/flow-schema.js';
import {
  parseLooseNumber,
  parseRating,
  parseYesNo,
  VALIDATION_PROBLEMS,
  validateAnswer,
} from '../../src/engine/validators.js';

const withCheck = (payload: string) => `${payload}${luhnCheckDigit(payload)}`;
const toArabicIndic = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const ID = withCheck('100000000');
const REF = withCheck('1234567');

const TEXT: Validator = { kind: 'text', min: 2, max: 10, letters: 2, only_letters: false };
const CITY: Validator = { kind: 'text', min: 2, max: 60, letters: 2, only_letters: true };
const INCOME: Validator = { kind: 'number', min: 0, max: 100_000, integer: true };
const FAMILY: Validator = { kind: 'number', min: 1, max: 30, integer: true };
const NAME: Validator = { kind: 'full_name', max: 100 };
const OPTIONS: SelectableOption[] = [
  { labels: ['تقديم طلب', 'Apply'], synonyms: ['اقدم'] },
  { labels: ['حالة الطلب', 'Status'], synonyms: [] },
];

describe('validateAnswer: one failing answer for every problem code', () => {
  const cases: Array<[Validator['kind'], string, string, Validator]> = [
    ['text', 'too_short', 'م', TEXT],
    ['text', 'too_long', 'محمد عبدالله', TEXT],
    ['text', 'letters', '12345', TEXT],
    ['text', 'characters', 'الرياض!!', CITY],
    ['number', 'not_number', 'كثير', INCOME],
    ['number', 'too_small', '0', FAMILY],
    ['number', 'too_large', '٣١', FAMILY],
    ['number', 'not_integer', '2.5', FAMILY],
    ['saudi_mobile', 'invalid', '0412345678', { kind: 'saudi_mobile' }],
    ['national_id', 'length', '12345', { kind: 'national_id' }],
    ['national_id', 'prefix', withCheck('300000000'), { kind: 'national_id' }],
    ['national_id', 'checksum', `${ID.slice(0, 9)}${(Number(ID[9]) + 1) % 10}`, { kind: 'national_id' }],
    ['choice', 'no_match', 'شيء آخر', { kind: 'choice' }],
    ['yes_no', 'no_match', 'ربما', { kind: 'yes_no' }],
    ['rating', 'no_match', 'لا أعرف', { kind: 'rating' }],
    ['rating', 'out_of_range', '٧', { kind: 'rating' }],
    ['reference', 'checksum', `${REF.slice(0, 7)}${(Number(REF[7]) + 1) % 10}`, { kind: 'reference' }],
    ['reference', 'invalid', '1234567', { kind: 'reference' }],
    ['full_name', 'one_word', 'محمد', NAME],
    ['full_name', 'characters', '<script>alert(1)</script>', NAME],
    ['full_name', 'too_long', `${'م'.repeat(60)} ${'ع'.repeat(60)}`, NAME],
    ['number', 'unit', 'ستة أفراد', { ...INCOME, unit: 'sar' }],
    ['rating', 'scale', '3 من 10', { kind: 'rating' }],
    // A question where an answer is asked («ليش تبون رقم الهوية؟»): its own reason.
    ['text', 'question', 'متى يردون على الطلب؟', CITY],
    ['full_name', 'question', 'ليش تبون اسمي', NAME],
    ['number', 'question', 'ليش تبون الدخل؟', INCOME],
    ['national_id', 'not_digits', 'ليش تبون رقم الهوية؟', { kind: 'national_id' }],
    ['saudi_mobile', 'not_digits', 'ما عندي جوال', { kind: 'saudi_mobile' }],
  ];

  it.each(cases)('%s → %s for %j', (_kind, problem, answer, rule) => {
    expect(validateAnswer(answer, rule, OPTIONS)).toEqual({ ok: false, problem });
  });

  it('covers every problem listed in VALIDATION_PROBLEMS', () => {
    const covered = new Set(cases.map(([kind, problem]) => `${kind}.${problem}`));
    const declared = Object.entries(VALIDATION_PROBLEMS).flatMap(([kind, problems]) =>
      problems.map((problem) => `${kind}.${problem}`),
    );
    expect([...covered].sort()).toEqual(declared.sort());
  });
});

describe('validateAnswer: accepted answers for every kind', () => {
  it.each<[string, Validator, unknown]>([
    ['  محمد  ', TEXT, 'محمد'],
    ['\u200fسارة\u200e', TEXT, 'سارة'],
    ['٣٥٠٠', INCOME, 3500],
    ['3,500 ريال', INCOME, 3500],
    ['ما عندي دخل', INCOME, 0],
    ['0', INCOME, 0],
    ['خمسة', FAMILY, 5],
    ['6 أشخاص', FAMILY, 6],
    ['٠٥١ ٢٣٤ ٥٦٧٨', { kind: 'saudi_mobile' }, '+966512345678'],
    [toArabicIndic(ID), { kind: 'national_id' }, ID],
    ['2', { kind: 'choice' }, 1],
    ['اقدم', { kind: 'choice' }, 0],
    ['Status', { kind: 'choice' }, 1],
    ['نعم', { kind: 'yes_no' }, true],
    ['لا أوافق', { kind: 'yes_no' }, false],
    ['٥', { kind: 'rating' }, 5],
    [`${REF.slice(0, 4)} ${REF.slice(4)}`, { kind: 'reference' }, REF],
    // a number labelled with its own name, and a count said with who is counted
    [`رقم هويتي: ${toArabicIndic(ID)}`, { kind: 'national_id' }, ID],
    [`رقم الإقامة ${ID.slice(0, 4)}-${ID.slice(4)}`, { kind: 'national_id' }, ID],
    ['جوالي ٠٥٠١٢٣٤٥٦٧', { kind: 'saudi_mobile' }, '+966501234567'],
    ['my mobile is 0501234567', { kind: 'saudi_mobile' }, '+966501234567'],
    ['احنا خمسة', FAMILY, 5],
    ['عددنا ٦ افراد', FAMILY, 6],
    ['دخلي ٣٠٠٠ ريال', INCOME, 3000],
  ])('%j → %j', (answer, rule, value) => {
    expect(validateAnswer(answer, rule, OPTIONS)).toEqual({ ok: true, value });
  });

  it('accepts decimals when the rule allows them', () => {
    const rule: Validator = { kind: 'number', min: 0, max: 10, integer: false };
    expect(validateAnswer('3.5', rule)).toEqual({ ok: true, value: 3.5 });
    expect(validateAnswer('٣٫٥', rule)).toEqual({ ok: true, value: 3.5 });
  });

  it('rejects a negative number against min 0', () => {
    expect(validateAnswer('-5', INCOME)).toEqual({ ok: false, problem: 'too_small' });
  });

  it('counts text length in code points, not UTF-16 units', () => {
    const rule: Validator = { kind: 'text', min: 1, max: 2, letters: 0, only_letters: false };
    expect(validateAnswer('😀😀', rule)).toEqual({ ok: true, value: '😀😀' });
    expect(validateAnswer('😀😀😀', rule)).toEqual({ ok: false, problem: 'too_long' });
  });

  it('a city in letters passes with its usual punctuation; digits, emoji and markup do not', () => {
    for (const city of [
      'الرياض',
      'الدمام - حي الشاطئ',
      'أبها، عسير',
      'Al-Khobar',
      'مكّة المكرّمة',
      'St. Louis',
    ])
      expect(validateAnswer(city, CITY)).toEqual({ ok: true, value: city });
    for (const city of ['الرياض 2', 'جدة 🌊', '<b>جدة</b>', 'الرياض؛ drop table', 'الخبر@'])
      expect(validateAnswer(city, CITY)).toEqual({ ok: false, problem: 'characters' });
  });

  it('sets aside only label words around an ID or a mobile: a name and an ID in one message is no ID', () => {
    expect(validateAnswer(`محمد أحمد ${ID}`, { kind: 'national_id' })).toEqual({
      ok: false,
      problem: 'length',
    });
    expect(validateAnswer(`جوالي 0501234567 وهويتي ${ID}`, { kind: 'saudi_mobile' })).toEqual({
      ok: false,
      problem: 'invalid',
    });
  });

  it('a name or a city that merely contains a question word is still an answer', () => {
    expect(validateAnswer('هلال الكيفي', NAME)).toEqual({ ok: true, value: 'هلال الكيفي' });
    expect(validateAnswer('وادي الدواسر', CITY)).toEqual({ ok: true, value: 'وادي الدواسر' });
  });

  it('treats invisible-only text as empty', () => {
    expect(validateAnswer('\u200f\u200e  ', TEXT)).toEqual({ ok: false, problem: 'too_short' });
  });

  it('choice with no options never matches', () => {
    expect(validateAnswer('1', { kind: 'choice' })).toEqual({ ok: false, problem: 'no_match' });
  });
});

describe('parseLooseNumber', () => {
  it.each([
    ['٣٥٠٠', 3500],
    ['3500', 3500],
    [' 42 ', 42],
    ['3,500 ريال', 3500],
    ['١٬٥٠٠', 1500],
    ['3 500', 3500],
    ['3.5 الف', 3500],
    ['٣٫٥ ألف', 3500],
    ['3 الاف', 3000],
    ['10 آلاف', 10_000],
    ['2k', 2000],
    ['خمسة', 5],
    ['خمسه', 5],
    ['عشرة', 10],
    ['صفر', 0],
    ['five', 5],
    ['5 افراد', 5],
    ['6 أشخاص', 6],
    ['3000 ريال شهريا', 3000],
    ['ما عندي دخل', 0],
    ['ماعندي', 0],
    ['لا يوجد', 0],
    ['none', 0],
  ])('%j → %d', (input, expected) => {
    expect(parseLooseNumber(input)).toBe(expected);
  });

  it.each(['abc', '', '1e3', '0x10', 'Infinity', 'كثير', '3 5', 'خمسة ستة'])(
    '%j is not a number',
    (input) => {
      expect(parseLooseNumber(input)).toBeUndefined();
    },
  );
});

describe('parseYesNo', () => {
  it.each([
    'نعم',
    'ايوه',
    'أيوة',
    'اي',
    'أكيد',
    'موافق',
    'أوافق',
    'أوافق على الشروط',
    'نعم أوافق',
    'تمام',
    'صح',
    'ماشي',
    'أقر بصحة البيانات',
    'yes',
    'Yes!',
    'YES',
    'ok',
    'i agree',
    '👍',
    '✅',
    ' 👍 ',
  ])('%j → yes', (input) => {
    expect(parseYesNo(input)).toBe(true);
  });

  it.each([
    'لا',
    'لأ',
    'لاء',
    'كلا',
    'غلط',
    'خطأ',
    'no',
    'لا أوافق',
    'مو موافق',
    'مش موافق',
    'غير موافق',
    'ما اوافق',
    'not agree',
    'dont agree',
    '👎',
    '❌',
  ])('%j → no', (input) => {
    expect(parseYesNo(input)).toBe(false);
  });

  it.each(['ربما', 'maybe', 'ما ادري', '', '  ', 'نعم نعم نعم نعم نعم نعم نعم'])(
    '%j → undecided',
    (input) => {
      expect(parseYesNo(input)).toBeUndefined();
    },
  );
});

describe('parseRating', () => {
  it.each([
    ['1', 1],
    ['5', 5],
    ['٤', 4],
    ['۳', 3],
    ['4/5', 4],
    ['٤ من ٥', 4],
    ['4 out of 5', 4],
    ['⭐⭐⭐', 3],
    ['★★', 2],
    ['ممتاز', 5],
    ['ممتازة', 5],
    ['excellent', 5],
    ['سيء جدا', 1],
    ['سيئ جداً', 1],
    ['زفت', 1],
    ['very bad', 1],
    ['جيد جدا', 4],
    ['very good', 4],
    ['جيد', 3],
    ['مقبول', 3],
    ['ضعيف', 2],
    ['سيئ', 2],
    ['bad', 2],
    ['😡', 1],
    ['🙁', 2],
    ['😐', 3],
    ['🙂', 4],
    ['😍', 5],
  ])('%j → %d', (input, score) => {
    expect(parseRating(input)).toEqual({ score });
  });

  it.each(['٧', '6', '0', '10', '100', '⭐⭐⭐⭐⭐⭐'])('%j is out of range', (input) => {
    expect(parseRating(input)).toEqual({ problem: 'out_of_range' });
  });

  it.each(['blah', '', '1234', 'لا أعرف'])('%j does not match', (input) => {
    expect(parseRating(input)).toEqual({ problem: 'no_match' });
  });
});
