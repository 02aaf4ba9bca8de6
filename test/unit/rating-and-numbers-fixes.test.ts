import { describe, expect, it } from 'vitest';
import { parseLooseNumber, parseRating, parseYesNo, validateAnswer } from '../../src/engine/validators.js';
import { stripInvisible } from '../../src/text/arabic.js';

describe('answers that used to be misread', () => {
  it.each([
    ['سيء', 2],
    ['سيئة جدا', 1],
    ['مو زين', 2],
    ['مش كويس', 2],
    ['غير جيد', 2],
    ['زين', 4],
    ['ممتازة', 5],
  ])('rates «%s» as %i', (answer, score) => {
    expect(parseRating(answer)).toEqual({ score });
  });

  it('treats a negative rating as out of range', () => {
    expect(parseRating('-1')).toEqual({ problem: 'out_of_range' });
  });

  it("reads «don't agree» as no", () => {
    expect(parseYesNo("I don't agree")).toBe(false);
    expect(parseYesNo('I agree')).toBe(true);
  });

  it.each([
    ['3.5 ريال', 3.5],
    ['-5 ريال', -5],
    ['٣٬٥٠٠ ريال', 3500],
    ['2.5 الف', 2500],
    ['3 500', 3500],
  ])('reads «%s» as %d', (answer, value) => {
    expect(parseLooseNumber(answer)).toBe(value);
  });

  it('rejects a negative income written with a currency', () => {
    expect(validateAnswer('-5 ريال', { kind: 'number', min: 0, max: 1000, integer: false })).toEqual({
      ok: false,
      problem: 'too_small',
    });
  });

  it('keeps zero-width joiners inside answers (Persian words, emoji sequences) but drops bidi controls', () => {
    expect(stripInvisible('👨\u200D👩\u200D👧')).toBe('👨\u200D👩\u200D👧');
    expect(stripInvisible('\u202Eمرحبا\u202C')).toBe('مرحبا');
  });
});
