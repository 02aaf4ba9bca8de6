import { describe, expect, it } from 'vitest';
import { lightStem, normalizeForMatching, stripInvisible, tokenize } from '../../src/text/arabic.js';

describe('stripInvisible', () => {
  it('removes bidi marks, embeddings, isolates, zero-width characters, ALM and BOM', () => {
    expect(stripInvisible('\u200fنعم\u200e')).toBe('نعم');
    expect(stripInvisible('\u202babc\u202c')).toBe('abc');
    expect(stripInvisible('\u2066x\u2069')).toBe('x');
    expect(stripInvisible('\uFEFFa\u200Bb\u061Cc')).toBe('abc');
  });

  it('keeps diacritics and visible text untouched', () => {
    expect(stripInvisible('مُحَمَّد')).toBe('مُحَمَّد');
    expect(stripInvisible('Hello, عالم!')).toBe('Hello, عالم!');
  });
});

describe('normalizeForMatching', () => {
  it.each([
    ['أحمد', 'احمد'],
    ['إبراهيم', 'ابراهيم'],
    ['آمنة', 'امنه'],
    ['ٱلله', 'الله'],
    ['قرآن', 'قران'],
  ])('unifies alef/hamza variants: %s → %s', (input, expected) => {
    expect(normalizeForMatching(input)).toBe(expected);
  });

  it.each([
    ['مدرسة', 'مدرسه'],
    ['مستشفى', 'مستشفي'],
    ['مؤسسة', 'موسسه'],
    ['مسائل', 'مسايل'],
    ['سماء', 'سما'],
    ['کتاب گ ی', 'كتاب ك ي'],
  ])('unifies ة/ى/ؤ/ئ/ء and Persian letters: %s → %s', (input, expected) => {
    expect(normalizeForMatching(input)).toBe(expected);
  });

  it('removes harakat and tatweel', () => {
    expect(normalizeForMatching('مُحَمَّد')).toBe('محمد');
    expect(normalizeForMatching('مـــرحـبـا')).toBe('مرحبا');
    expect(normalizeForMatching('نعمــ')).toBe('نعم');
    expect(normalizeForMatching('هذَا')).toBe(normalizeForMatching('هذا'));
  });

  it('collapses elongation of three or more repeated letters but keeps doubled letters', () => {
    expect(normalizeForMatching('هلااااا')).toBe('هلا');
    expect(normalizeForMatching('soooo')).toBe('so');
    expect(normalizeForMatching('ممكن')).toBe('ممكن');
    expect(normalizeForMatching('الله')).toBe('الله');
  });

  it('turns punctuation into single spaces and trims', () => {
    expect(normalizeForMatching('مرحبا!!!')).toBe('مرحبا');
    expect(normalizeForMatching('؟ماذا، هنا.')).toBe('ماذا هنا');
    expect(normalizeForMatching('  a   b  ')).toBe('a b');
    expect(normalizeForMatching('a,b')).toBe('a b');
  });

  it('drops bidi controls and zero-width characters', () => {
    expect(normalizeForMatching('\u200fنعم\u200e')).toBe('نعم');
    expect(normalizeForMatching('\uFEFFx\u061Cy')).toBe('xy');
  });

  it('folds presentation forms with NFKC', () => {
    expect(normalizeForMatching('ﻻ')).toBe('لا');
    expect(normalizeForMatching('ﺍﻟﺴﻼﻡ')).toBe('السلام');
    expect(normalizeForMatching('ﷲ')).toBe('الله');
  });

  it('lower-cases Latin and converts digits to ASCII', () => {
    expect(normalizeForMatching('HELLO World')).toBe('hello world');
    expect(normalizeForMatching('١٢٣ ۴۵۶')).toBe('123 456');
  });

  it('makes common spelling variants meet', () => {
    expect(normalizeForMatching('إلغاء')).toBe(normalizeForMatching('الغاء'));
    expect(normalizeForMatching('القائمة')).toBe(normalizeForMatching('القايمه'));
    expect(normalizeForMatching('مُسَاعَدَة')).toBe(normalizeForMatching('مساعده'));
  });

  it.each([
    ['مسؤول', ['مسئول', 'مسوول', 'مسؤل', 'مسءول']],
    ['مسؤولية', ['مسئولية', 'مسئوليه', 'مسووليه', 'مسؤليه']],
    ['شؤون', ['شئون', 'شوون']],
    ['رؤوس', ['رئوس']],
  ])('makes the hamza-on-waw/ya spellings of %s meet', (word, variants) => {
    for (const variant of variants) expect(normalizeForMatching(variant)).toBe(normalizeForMatching(word));
  });

  it('keeps a hamza that is not before waw as it was (ئ → ي, ؤ → و)', () => {
    expect(normalizeForMatching('رئيس')).toBe('رييس');
    expect(normalizeForMatching('سؤال')).toBe('سوال');
    expect(normalizeForMatching('مسؤول')).toBe('مسول');
  });

  it('returns an empty string for whitespace or punctuation only', () => {
    expect(normalizeForMatching('')).toBe('');
    expect(normalizeForMatching('  ؟!  ')).toBe('');
  });
});

describe('tokenize', () => {
  it('splits on spaces and drops empty tokens', () => {
    expect(tokenize('a b  c')).toEqual(['a', 'b', 'c']);
    expect(tokenize(normalizeForMatching('أبي، أكلم موظف!'))).toEqual(['ابي', 'اكلم', 'موظف']);
    expect(tokenize('')).toEqual([]);
  });
});

describe('lightStem', () => {
  it.each([
    ['طلبي', 'طلب'],
    ['الطلب', 'طلب'],
    ['والطلب', 'طلب'],
    ['طلبات', 'طلب'],
    ['بالبيت', 'بيت'],
    ['للبيت', 'بيت'],
    ['فالكتاب', 'كتاب'],
    ['كتابها', 'كتاب'],
  ])('%s → %s', (input, expected) => {
    expect(lightStem(input)).toBe(expected);
  });

  it('keeps at least three letters', () => {
    expect(lightStem('كتب')).toBe('كتب');
    expect(lightStem('ولد')).toBe('ولد');
    expect(lightStem('يوم')).toBe('يوم');
  });

  it('leaves non-Arabic tokens alone', () => {
    expect(lightStem('abc')).toBe('abc');
    expect(lightStem('requests')).toBe('requests');
    expect(lightStem('123')).toBe('123');
  });
});
