/**
 * Human-friendly durations for configuration ("90s", "10m", "24h", "7d", "250ms").
 * Kept in one place so every timer in the app is configured the same way.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses a duration such as "10m" into milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  return Math.round(Number(amount) * UNIT_MS[unit]);
}
