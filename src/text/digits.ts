/**
 * Digits in the scripts our beneficiaries type: ASCII, Arabic-Indic (٠–٩, U+0660) and
 * Eastern Arabic/Persian (۰–۹, U+06F0). Everything numeric goes through here first.
 */
const ARABIC_INDIC_ZERO = 0x0660;
const EASTERN_ARABIC_ZERO = 0x06f0;

const NON_ASCII_DIGIT = /[\u0660-\u0669\u06F0-\u06F9\u066B\u066C]/g;

/** Converts Arabic-Indic and Eastern Arabic digits (and the Arabic decimal/thousands marks) to ASCII. */
export function toAsciiDigits(text: string): string {
  return text.replace(NON_ASCII_DIGIT, (char) => {
    const code = char.charCodeAt(0);
    if (char === '\u066B') return '.'; // Arabic decimal separator
    if (char === '\u066C') return ','; // Arabic thousands separator
    const zero = code >= EASTERN_ARABIC_ZERO ? EASTERN_ARABIC_ZERO : ARABIC_INDIC_ZERO;
    return String(code - zero);
  });
}

/** Keeps only the ASCII digits of a text after converting other scripts, e.g. "٠٥٠ ١٢٣-٤٥٦٧" → "0501234567". */
export function digitsOnly(text: string): string {
  return toAsciiDigits(text).replace(/\D/g, '');
}
