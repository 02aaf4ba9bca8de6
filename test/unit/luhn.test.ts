import { describe, expect, it } from 'vitest';
import { hasValidLuhn, luhnCheckDigit } from '../../src/domain/luhn.js';

describe('luhnCheckDigit', () => {
  it.each([
    ['7992739871', 3],
    ['453957876362148', 6],
    ['100000000', 8],
    ['200000000', 6],
    ['', 0],
  ])('check digit of %j is %i', (payload, expected) => {
    expect(luhnCheckDigit(payload)).toBe(expected);
  });
});

describe('hasValidLuhn', () => {
  it.each(['79927398713', '4539578763621486', '1000000008', '00'])('accepts %s', (digits) => {
    expect(hasValidLuhn(digits)).toBe(true);
  });

  it.each(['79927398710', '4539578763621487', '1000000009', '1', '', 'ab', '12a4', '١٠٠٠٠٠٠٠٠٨'])(
    'rejects %j',
    (digits) => {
      expect(hasValidLuhn(digits)).toBe(false);
    },
  );

  it('detects every single-digit typo in the payload', () => {
    const valid = `12345678${luhnCheckDigit('12345678')}`;
    for (let i = 0; i < valid.length; i++) {
      const original = Number(valid[i]);
      const typo = `${valid.slice(0, i)}${(original + 1) % 10}${valid.slice(i + 1)}`;
      expect(hasValidLuhn(typo)).toBe(false);
    }
  });
});
