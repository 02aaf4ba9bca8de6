import { describe, expect, it } from 'vitest';
import { hasValidLuhn, luhnCheckDigit } from '../../src/domain/luhn.js';
import { generateReference, looksLikeReference, parseReference } from '../../src/domain/reference.js';

const toArabicIndic = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const toPersian = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));
const REF = `1234567${luhnCheckDigit('1234567')}`;

describe('generateReference', () => {
  const references = Array.from({ length: 1000 }, () => generateReference());

  it('produces 8 digits with a non-zero first digit and a valid Luhn check digit', () => {
    for (const reference of references) {
      expect(reference).toMatch(/^[1-9]\d{7}$/);
      expect(hasValidLuhn(reference)).toBe(true);
      expect(parseReference(reference)).toBe(reference);
    }
  });

  it('is random: mostly distinct and not sequential', () => {
    expect(new Set(references).size).toBeGreaterThanOrEqual(990);
    const payloads = references.map((reference) => Number(reference.slice(0, 7)));
    let consecutive = 0;
    for (let i = 1; i < payloads.length; i++) {
      const step = (payloads[i] ?? 0) - (payloads[i - 1] ?? 0);
      if (Math.abs(step) <= 1) consecutive++;
    }
    expect(consecutive).toBeLessThan(5);
    // Spread over the whole range, not clustered.
    const firstDigits = new Set(references.map((reference) => reference[0]));
    expect(firstDigits.size).toBe(9);
  });
});

describe('parseReference', () => {
  it.each([
    [REF],
    [`${REF.slice(0, 4)} ${REF.slice(4)}`],
    [`${REF.slice(0, 4)}-${REF.slice(4)}`],
    [` ${REF} `],
    [toArabicIndic(REF)],
    [toPersian(REF)],
    [`${toArabicIndic(REF.slice(0, 4))} ${toArabicIndic(REF.slice(4))}`],
  ])('accepts %j', (input) => {
    expect(parseReference(input)).toBe(REF);
  });

  it.each([
    ['bad check digit', `${REF.slice(0, 7)}${(Number(REF[7]) + 1) % 10}`],
    ['too long', `${REF}0`],
    ['too short', REF.slice(1)],
    ['letters', `REF${REF}`],
    ['Arabic letters', `رقم ${REF}`],
    ['empty', ''],
  ])('rejects %s (%j)', (_label, input) => {
    expect(parseReference(input)).toBeUndefined();
  });
});

describe('looksLikeReference', () => {
  it('needs at least six digits and no letters', () => {
    expect(looksLikeReference('123456')).toBe(true);
    expect(looksLikeReference('١٢٣٤٥٦')).toBe(true);
    expect(looksLikeReference('12345')).toBe(false);
    expect(looksLikeReference('abc123456')).toBe(false);
  });
});
