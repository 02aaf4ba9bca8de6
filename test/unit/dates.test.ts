import { describe, expect, it } from 'vitest';
import { formatSaudiDate } from '../../src/text/dates.js';

describe('dates for beneficiaries', () => {
  it('shows Gregorian and Hijri (Umm al-Qura) dates in Riyadh time', () => {
    // 22:30 UTC is already the next day in Riyadh.
    const date = new Date('2026-11-24T22:30:00Z');
    expect(formatSaudiDate(date, 'ar')).toBe('٢٥ نوفمبر ٢٠٢٦م (١٥ جمادى الآخرة ١٤٤٨هـ)');
    expect(formatSaudiDate(date, 'en')).toBe('25 November 2026 (15 Jumada II 1448 AH)');
  });
});
