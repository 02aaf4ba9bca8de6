import { digitsOnly } from '../text/digits.js';
import { hasValidLuhn } from './luhn.js';

export type NationalIdProblem = 'length' | 'prefix' | 'checksum';

/**
 * Saudi national ID (starts with 1) or iqama (starts with 2): 10 digits, Luhn check digit.
 * Returns the canonical ASCII digits, or the reason it is not valid.
 */
export function parseNationalId(
  input: string,
): { ok: true; value: string } | { ok: false; problem: NationalIdProblem } {
  const trimmed = input.trim();
  // Letters mixed in are not an ID, even if ten digits could be extracted.
  if (/\p{L}/u.test(trimmed)) return { ok: false, problem: 'length' };
  const digits = digitsOnly(trimmed);
  if (digits.length !== 10) return { ok: false, problem: 'length' };
  if (digits[0] !== '1' && digits[0] !== '2') return { ok: false, problem: 'prefix' };
  if (!hasValidLuhn(digits)) return { ok: false, problem: 'checksum' };
  return { ok: true, value: digits };
}

/** Shows only the last four digits, e.g. "******4567"; used wherever an ID must be displayed. */
export function maskNationalId(id: string): string {
  return `${'•'.repeat(Math.max(0, id.length - 4))}${id.slice(-4)}`;
}
