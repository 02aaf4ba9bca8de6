import { describe, expect, it } from 'vitest';
import { digitsOnly, toAsciiDigits } from '../../src/text/digits.js';

describe('toAsciiDigits', () => {
  it.each([
    ['٠١٢٣٤٥٦٧٨٩', '0123456789'],
    ['۰۱۲۳۴۵۶۷۸۹', '0123456789'],
    ['0123456789', '0123456789'],
    ['٣٫٥', '3.5'],
    ['١٬٥٠٠', '1,500'],
    ['دخلي ٣٥٠٠ ريال', 'دخلي 3500 ريال'],
    ['۱۲ و ٣٤ and 56', '12 و 34 and 56'],
    ['', ''],
    ['بدون أرقام', 'بدون أرقام'],
  ])('%j → %j', (input, expected) => {
    expect(toAsciiDigits(input)).toBe(expected);
  });

  it('maps every Arabic-Indic and Persian digit to its own value', () => {
    for (let d = 0; d <= 9; d++) {
      expect(toAsciiDigits(String.fromCharCode(0x0660 + d))).toBe(String(d));
      expect(toAsciiDigits(String.fromCharCode(0x06f0 + d))).toBe(String(d));
    }
  });
});

describe('digitsOnly', () => {
  it.each([
    ['٠٥٠ ١٢٣-٤٥٦٧', '0501234567'],
    ['+966 (50) 123-4567', '966501234567'],
    ['۰۵x1', '051'],
    ['٣٫٥', '35'],
    ['abc', ''],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(digitsOnly(input)).toBe(expected);
  });
});
