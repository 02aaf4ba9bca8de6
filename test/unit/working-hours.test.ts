import { describe, expect, it } from 'vitest';
import {
  addWorkingTime,
  isWithinWorkingHours,
  nextOpening,
  parseWorkingHours,
} from '../../src/domain/working-hours.js';

// Sunday–Thursday 08:00–16:00 Riyadh (UTC+3): 05:00–13:00 UTC.
const hours = parseWorkingHours('sun-thu 08:00-16:00 Asia/Riyadh');

describe('working hours', () => {
  it('knows when staff are in, in Riyadh time', () => {
    expect(isWithinWorkingHours(hours, new Date('2026-11-29T05:00:00Z'))).toBe(true); // Sun 08:00
    expect(isWithinWorkingHours(hours, new Date('2026-11-29T12:59:00Z'))).toBe(true); // Sun 15:59
    expect(isWithinWorkingHours(hours, new Date('2026-11-29T13:00:00Z'))).toBe(false); // Sun 16:00
    expect(isWithinWorkingHours(hours, new Date('2026-11-27T08:00:00Z'))).toBe(false); // Friday
  });

  it('finds the next opening: Thursday evening → Sunday 08:00', () => {
    expect(nextOpening(hours, new Date('2026-11-26T15:00:00Z')).toISOString()).toBe(
      '2026-11-29T05:00:00.000Z',
    );
    expect(nextOpening(hours, new Date('2026-11-30T02:00:00Z')).toISOString()).toBe(
      '2026-11-30T05:00:00.000Z',
    );
  });

  it('counts waiting time only within working hours', () => {
    // Thursday 15:45 + 30 working minutes = Sunday 08:15.
    expect(addWorkingTime(hours, new Date('2026-11-26T12:45:00Z'), 30 * 60_000).toISOString()).toBe(
      '2026-11-29T05:15:00.000Z',
    );
    expect(addWorkingTime(hours, new Date('2026-11-29T06:00:00Z'), 30 * 60_000).toISOString()).toBe(
      '2026-11-29T06:30:00.000Z',
    );
  });

  it('refuses a malformed setting with a clear reason', () => {
    expect(() => parseWorkingHours('sun-thu 16:00-08:00')).toThrow(/closing time must be after/);
    expect(() => parseWorkingHours('someday 08:00-16:00')).toThrow(/unknown day "someday"/);
    expect(() => parseWorkingHours('sun-thu 08:00-16:00 Mars/Base')).toThrow(/unknown time zone/);
  });
});
