import { hasValidLuhn } from '../domain/luhn.js';
import { toAsciiDigits } from '../text/digits.js';

/**
 * Personal numbers as the console shows them by default: enough to tell two people apart or to
 * read one back on the phone, not enough to use. The full value is only given by the audited
 * reveal endpoint.
 */
function maskMiddle(value: string, keepStart: number, keepEnd: number): string {
  if (value.length <= keepStart + keepEnd) return '*'.repeat(value.length);
  return value.slice(0, keepStart) + '*'.repeat(value.length - keepStart - keepEnd) + value.slice(-keepEnd);
}

/** `1234567834` → `1*******34`: the first digit (citizen or resident) and the last two. */
export function maskNationalId(nationalId: string): string {
  return maskMiddle(nationalId, 1, 2);
}

/** `+966512345667` → `+9665******67`: country code and the mobile prefix, and the last two digits. */
export function maskMobile(e164: string): string {
  const keepStart = e164.startsWith('+966') ? 5 : Math.min(4, Math.max(0, e164.length - 4));
  return maskMiddle(e164, keepStart, 2);
}

/** A digit in the scripts beneficiaries type: ASCII, Arabic-Indic (٠–٩), Eastern Arabic (۰–۹). */
const DIGIT = '[0-9\\u0660-\\u0669\\u06F0-\\u06F9]';
/** Invisible direction marks that phones and chat apps put around or inside numbers. */
const MARK = '[\\u200E\\u200F\\u061C\\u202A-\\u202E\\u2066-\\u2069]';
const SPACE = `(?:[ \\t\\u00A0\\u202F]|${MARK})`;
/** Hyphens and minus signs; not the em dash, which sets a reference apart from what follows it. */
const DASH = '[-\\u2010-\\u2013\\u2212]';
/** What may sit between two groups of one number: spaces, or one dash with spaces around it. */
const SEPARATOR = `(?:${SPACE}*${DASH}${SPACE}*|${SPACE}+)`;
/** A number as people write it: an optional `+`, groups of digits joined by separators. */
const NUMBER_RUN = new RegExp(`(?<!${DIGIT})(?:\\+${SPACE}*)?${DIGIT}+(?:${SEPARATOR}${DIGIT}+)*`, 'gu');
const GROUP = new RegExp(`${DIGIT}+`, 'gu');
/** A run of digits and separators at the very end of a text (cut there, it may be part of a number). */
const TRAILING_RUN = new RegExp(`(?:\\+|${DASH}|${SPACE}|${DIGIT})+$`, 'u');

/**
 * What a run of digits is, written as one: a national ID or iqama (10 digits starting with 1 or
 * 2, check digit or not: a mistyped one is as personal), or a Saudi mobile (05XXXXXXXX,
 * 5XXXXXXXX, 9665XXXXXXXX, 009665XXXXXXXX, +9665XXXXXXXX). Masked as everywhere else in the
 * console, or undefined for any other number (a reference, an amount, a date).
 */
function maskedNumber(digits: string, plus: boolean): string | undefined {
  if (!plus && /^[12]\d{9}$/.test(digits)) return maskNationalId(digits);
  const mobile = plus ? /^9665(\d{8})$/.exec(digits) : /^(?:009665|9665|05|5)(\d{8})$/.exec(digits);
  return mobile ? maskMobile(`+9665${mobile[1]}`) : undefined;
}

/** Eight digits with a valid check digit: what a request reference looks like. */
function isReferenceLike(digits: string): boolean {
  return digits.length === 8 && hasValidLuhn(digits);
}

/** One number run with the personal numbers in it masked: whole groups only, longest first. */
function maskRun(run: string): string {
  const plus = run.startsWith('+');
  const groups = [...run.matchAll(GROUP)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    digits: toAsciiDigits(match[0]),
  }));
  let out = '';
  let copied = 0;
  for (let i = 0; i < groups.length; ) {
    let matched = false;
    for (let j = groups.length - 1; j >= i && !matched; j -= 1) {
      const window = groups.slice(i, j + 1);
      // A reference next to another number («12345678 15») is not the start of an ID.
      if (window.length > 1 && window.some((group) => isReferenceLike(group.digits))) continue;
      const masked = maskedNumber(window.map((group) => group.digits).join(''), plus && i === 0);
      if (masked === undefined) continue;
      const start = plus && i === 0 ? 0 : (groups[i] as { start: number }).start;
      out += run.slice(copied, start) + masked;
      copied = (groups[j] as { end: number }).end;
      i = j + 1;
      matched = true;
    }
    if (!matched) i += 1;
  }
  return out + run.slice(copied);
}

/**
 * A message text as staff may see it: national IDs, iqamas and Saudi mobiles in it — in any
 * digit script, with spaces or dashes — masked like the console's other personal numbers
 * (`1*******34`, `+9665******67`); everything else, references and amounts included, as written.
 * The stored message is never changed: this is for the staff read side only.
 *
 * `truncated`: the text was cut off at its end (a preview), so a number ending it may be only
 * the start of one, too short to be recognised; it is left out.
 */
export function maskPersonalNumbers(text: string, options: { truncated?: boolean } = {}): string {
  const whole = options.truncated ? text.replace(TRAILING_RUN, '') : text;
  return whole.replace(NUMBER_RUN, maskRun);
}
