import { randomInt } from 'node:crypto';
import { digitsOnly, toAsciiDigits } from '../text/digits.js';
import { hasValidLuhn, luhnCheckDigit } from './luhn.js';

/**
 * Support request references: 8 digits, the first seven random (never sequential, so one
 * reference tells nothing about another) and the last a Luhn check digit that catches typos.
 */
export function generateReference(): string {
  // The first digit is 1–9 so a reference never loses a leading zero in a spreadsheet.
  const payload = String(randomInt(1_000_000, 10_000_000));
  return `${payload}${luhnCheckDigit(payload)}`;
}

/** Accepts "١٢٣٤ ٥٦٧٨", "1234-5678" and the like; returns the canonical reference or undefined. */
export function parseReference(input: string): string | undefined {
  if (/\p{L}/u.test(input)) return undefined;
  const digits = digitsOnly(input);
  return digits.length === 8 && hasValidLuhn(digits) ? digits : undefined;
}

/** Looks like an attempt at a reference (enough digits), even if invalid. */
export function looksLikeReference(input: string): boolean {
  return digitsOnly(input).length >= 6 && !/\p{L}/u.test(input);
}

/**
 * Finds a reference in a message: the whole message («1234 5674», «١٢٣٤-٥٦٧٤») or the one
 * 8-digit number in a sentence («وين وصل طلبي رقم 1303 8229»). Eight digits whose check digit
 * is wrong are reported as `checksum` (a typo: no reference has them); anything else — no digits,
 * another length, several candidates — is undefined.
 */
export function findReference(input: string): { reference: string } | { problem: 'checksum' } | undefined {
  const ascii = toAsciiDigits(input);
  const candidates = /\p{L}/u.test(ascii)
    ? (ascii.match(/\d(?:[ \t-]?\d)*/g) ?? []).map(digitsOnly).filter((digits) => digits.length === 8)
    : [digitsOnly(ascii)].filter((digits) => digits.length === 8);
  if (candidates.length !== 1) return undefined;
  const [digits] = candidates as [string];
  return hasValidLuhn(digits) ? { reference: digits } : { problem: 'checksum' };
}
