import { describe, expect, it } from 'vitest';
import { findReference } from '../../src/domain/reference.js';
import type { Validator } from '../../src/engine/flow-schema.js';
import {
  parseBareYesNo,
  parseQuantity,
  parseRating,
  parseYesNo,
  validateAnswer,
} from '../../src/engine/validators.js';

const INCOME: Validator = { kind: 'number', min: 0, max: 1_000_000, integer: false, unit: 'sar' };
const FAMILY: Validator = { kind: 'number', min: 1, max: 30, integer: true, unit: 'people' };
const NAME: Validator = { kind: 'full_name', max: 100 };

describe('numbers in words and digits, with their unit', () => {
  it.each([
    ['ألفين', 2000],
    ['ستة آلاف', 6000],
    ['ثلاثة آلاف وخمسمية', 3500],
    ['ثلاثة آلاف و خمسمائة ريال', 3500],
    ['٢ ألف', 2000],
    ['ألف ريال', 1000],
    ['الف ونص', 1500],
    ['ألفين ونص', 2500],
    ['خمسمية', 500],
    ['ثلاث مية', 300],
    ['مية وخمسين ألف', 150_000],
    ['خمسة عشر', 15],
    ['خمسة وعشرين', 25],
    ['عشرين ألف ريال', 20_000],
    ['٣ آلاف و٥٠٠', 3500],
    ['تقريبا ٣٠٠٠ فقط', 3000],
    ['مليون', 1_000_000],
  ])('%j → %d', (input, value) => {
    expect(parseQuantity(input)?.value).toBe(value);
  });

  it('names the unit a number is said in', () => {
    expect(parseQuantity('ستة أفراد')).toEqual({ value: 6, unit: 'people' });
    expect(parseQuantity('٦ أشخاص')).toEqual({ value: 6, unit: 'people' });
    expect(parseQuantity('٣٠٠٠ ريال شهريًا')).toEqual({ value: 3000, unit: 'sar' });
    expect(parseQuantity('3000')).toEqual({ value: 3000 });
    expect(parseQuantity('٦ أفراد و٣٠٠٠ ريال')).toBeUndefined();
  });

  it('asks an income named in people again, and a family size named in riyals', () => {
    expect(validateAnswer('ستة أفراد', INCOME)).toEqual({ ok: false, problem: 'unit' });
    expect(validateAnswer('٦ أفراد', INCOME)).toEqual({ ok: false, problem: 'unit' });
    expect(validateAnswer('٣٠٠٠ ريال', FAMILY)).toEqual({ ok: false, problem: 'unit' });
    expect(validateAnswer('ستة أفراد', FAMILY)).toEqual({ ok: true, value: 6 });
    expect(validateAnswer('ثلاثة آلاف وخمسمية', INCOME)).toEqual({ ok: true, value: 3500 });
    expect(validateAnswer('٠', INCOME)).toEqual({ ok: true, value: 0 });
    expect(validateAnswer('٠', FAMILY)).toEqual({ ok: false, problem: 'too_small' });
  });
});

describe('ratings: negation, number words, stars and other scales', () => {
  it.each([
    ['مو كويس', 2],
    ['مب زين', 2],
    ['ماكانت زينة', 2],
    ['ما كانت الخدمة زينة', 2],
    ['مش ممتازة', 2],
    ['ما عجبني', 2],
    ['ماعجبني', 2],
    ['not good', 2],
    ['مو سيئة', 3],
    ['عجبني', 4],
    ['عجبتني مرة', 5],
    ['واحد', 1],
    ['اثنين', 2],
    ['ثلاثة', 3],
    ['أربعة', 4],
    ['خمسة', 5],
    ['5 نجوم', 5],
    ['٥ نجوم', 5],
    ['نجمتين', 2],
    ['ثلاث نجوم', 3],
    ['نجمة واحدة', 1],
    ['أعطيكم ٤ نجوم', 4],
    ['٤ من ٥', 4],
    ['خمسة من خمسة', 5],
    ['٤ — جيدة جدًا', 4],
    ['1 — Very poor', 1],
  ])('%j → %d', (input, score) => {
    expect(parseRating(input)).toEqual({ score });
  });

  it.each(['3 من 10', '٨/١٠', '10/10', 'سبعة من عشرة', '90 out of 100'])(
    '%j is on another scale: asked again, never converted',
    (input) => {
      expect(parseRating(input)).toEqual({ problem: 'scale' });
    },
  );

  it.each(['ولا أحد رد', 'تأخروا ٣ أيام', 'ما أدري'])('%j gives no score', (input) => {
    expect(parseRating(input)).toEqual({ problem: 'no_match' });
  });
});

describe('bare yes and no', () => {
  it.each([
    'نعم',
    'ايوه',
    'إيه',
    'إيه والله',
    'آه',
    'بلى',
    'نعم أبي',
    'ايوه عندي ملاحظة',
    'لا مانع',
    'ما عندي مانع',
    'ماشي',
    'yes please',
  ])('%j → yes', (input) => {
    expect(parseBareYesNo(input)).toBe(true);
    expect(parseYesNo(input)).toBe(true);
  });

  it.each([
    'لا',
    'لا شكرًا',
    'ما عندي ملاحظات',
    'ماعندي',
    'مابي',
    'ما أبغى',
    'مش عايز',
    'مو لازم',
    'ولا شي',
    'بعدين',
    'no thanks',
  ])('%j → no', (input) => {
    expect(parseBareYesNo(input)).toBe(false);
    expect(parseYesNo(input)).toBe(false);
  });

  it.each(['نعم الخدمة كانت ممتازة', 'ايه ده', 'شكرا', 'لا أعرف كيف أقدم', 'إيه أخبار طلبي'])(
    '%j says more than yes or no',
    (input) => {
      expect(parseBareYesNo(input)).toBeUndefined();
    },
  );
});

describe('full names', () => {
  it.each(['محمد عبدالله القحطاني', 'مُحمّد عليّ', 'Mohammed Al-Otaibi', "O'Neil Smith", '  سارة   أحمد  '])(
    '%j is accepted',
    (input) => {
      expect(validateAnswer(input, NAME)).toMatchObject({ ok: true });
    },
  );

  it('keeps the name with its spaces collapsed', () => {
    expect(validateAnswer('  سارة   أحمد  ', NAME)).toEqual({ ok: true, value: 'سارة أحمد' });
  });

  it.each([
    ['محمد', 'one_word'],
    ['محمد ع', 'one_word'],
    ['', 'one_word'],
    ['<script>alert(1)</script>', 'characters'],
    ['محمد ١٢٣', 'characters'],
    ['محمد 2 العتيبي', 'characters'],
    ['سارة @أحمد', 'characters'],
    ['Ivan Петров', 'characters'],
  ])('%j → %s', (input, problem) => {
    expect(validateAnswer(input, NAME)).toEqual({ ok: false, problem });
  });
});

describe('request references inside messages', () => {
  it('finds the one 8-digit number of a sentence', () => {
    expect(findReference('وين وصل طلبي رقم 13038229')).toEqual({ reference: '13038229' });
    expect(findReference('طلبي ١٣٠٣ ٨٢٢٩ وش صار عليه')).toEqual({ reference: '13038229' });
    expect(findReference('1303-8229')).toEqual({ reference: '13038229' });
  });

  it('reports a wrong check digit as such', () => {
    expect(findReference('12345678')).toEqual({ problem: 'checksum' });
    expect(findReference('1234 5670')).toEqual({ problem: 'checksum' });
    expect(validateAnswer('12345678', { kind: 'reference' })).toEqual({ ok: false, problem: 'checksum' });
  });

  it('finds nothing in a message without exactly one 8-digit number', () => {
    expect(findReference('شكرا')).toBeUndefined();
    expect(findReference('رقم 1234')).toBeUndefined();
    expect(findReference('جوالي 0551234567')).toBeUndefined();
    expect(findReference('13038229 و 12345674')).toBeUndefined();
  });
});
