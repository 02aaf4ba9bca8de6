import { digitsOnly } from '../text/digits.js';

/**
 * Saudi mobile numbers in every way people write them — 05XXXXXXXX, 5XXXXXXXX, 9665XXXXXXXX,
 * +966 5X XXX XXXX, 00966…, Arabic-Indic digits — normalised to E.164 (+9665XXXXXXXX).
 */
export function parseSaudiMobile(input: string): string | undefined {
  if (/\p{L}/u.test(input)) return undefined;
  let digits = digitsOnly(input);
  if (digits.startsWith('00966')) digits = digits.slice(5);
  else if (digits.startsWith('966')) digits = digits.slice(3);
  else if (digits.startsWith('0')) digits = digits.slice(1);
  return /^5\d{8}$/.test(digits) ? `+966${digits}` : undefined;
}

/** Any phone in E.164 from a channel (WhatsApp id, Telegram shared contact), or undefined. */
export function toE164(input: string): string | undefined {
  const digits = digitsOnly(input);
  if (digits.length < 8 || digits.length > 15) return undefined;
  return `+${digits.startsWith('00') ? digits.slice(2) : digits}`;
}

/** Masks a phone for display to staff lists: "+9665•••••567". */
export function maskPhone(e164: string): string {
  return `${e164.slice(0, 5)}${'•'.repeat(Math.max(0, e164.length - 8))}${e164.slice(-3)}`;
}

/**
 * A phone as beneficiaries read it inside Arabic text: the Saudi local form (+9665XXXXXXXX →
 * 05XXXXXXXX; other numbers stay E.164) between Unicode isolates (LRI … PDI), so right-to-left
 * text does not reorder its "+" or digits. For display only; storage keeps E.164.
 */
export function displayPhone(e164: string): string {
  const local = /^\+9665\d{8}$/.test(e164) ? `0${e164.slice(4)}` : e164;
  return `\u2066${local}\u2069`;
}
