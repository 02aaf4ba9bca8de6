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
