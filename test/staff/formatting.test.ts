import { describe, expect, it } from 'vitest';
import { csrfTokenFor, isValidCsrfToken } from '../../src/staff/auth/csrf.js';
import { hashPassword, verifyPassword } from '../../src/staff/auth/passwords.js';
import { toCsv } from '../../src/staff/csv.js';
import { maskMobile, maskNationalId } from '../../src/staff/masking.js';

describe('masking', () => {
  it('keeps the first digit and the last two of a national ID', () => {
    expect(maskNationalId('1234567834')).toBe('1*******34');
    expect(maskNationalId('2987654321')).toBe('2*******21');
  });

  it('keeps the country code, the mobile prefix and the last two digits of a phone', () => {
    expect(maskMobile('+966512345667')).toBe('+9665******67');
    expect(maskMobile('+201001234567')).toBe('+201*******67');
    expect(maskMobile('12')).toBe('**');
  });
});

describe('CSV', () => {
  it('starts with a BOM, quotes every field, doubles quotes, ends lines with CRLF', () => {
    const csv = toCsv(['a', 'b'], [['x,y', 'say "hi"\nnow']]);
    expect(csv).toBe('\uFEFF"a","b"\r\n"x,y","say ""hi""\nnow"\r\n');
  });

  it('neutralises cells a spreadsheet would run as formulas, but not numbers', () => {
    const csv = toCsv(
      ['v'],
      [['=1+1'], ['+966'], ['-2'], ['@A1'], ['\tx'], [-5], [null], [new Date('2025-01-02T03:04:05Z')]],
    );
    expect(csv.split('\r\n').slice(1, -1)).toEqual([
      `"'=1+1"`,
      `"'+966"`,
      `"'-2"`,
      `"'@A1"`,
      `"'\tx"`,
      '"-5"',
      '""',
      '"2025-01-02T03:04:05.000Z"',
    ]);
  });
});

describe('passwords and CSRF tokens', () => {
  it('salts every hash and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('the same password'), hashPassword('the same password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('the same password', a)).toBe(true);
    expect(await verifyPassword('the same password', b)).toBe(true);
    expect(await verifyPassword('another password', a)).toBe(false);
    expect(await verifyPassword('the same password', 'not-a-hash')).toBe(false);
  });

  it('derives a CSRF token per session that only that session matches', () => {
    const token = csrfTokenFor('session-one');
    expect(isValidCsrfToken('session-one', token)).toBe(true);
    expect(isValidCsrfToken('session-two', token)).toBe(false);
    expect(isValidCsrfToken('session-one', undefined)).toBe(false);
    expect(isValidCsrfToken('session-one', `${token}x`)).toBe(false);
  });
});
