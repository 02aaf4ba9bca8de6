/** Luhn (mod 10) check digit over a string of ASCII digits; used by Saudi IDs and our references. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walk from the right; the digit next to the (future) check digit is doubled.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = payload.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `digits` is the Luhn check digit of the rest. */
export function hasValidLuhn(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits.at(-1));
}
