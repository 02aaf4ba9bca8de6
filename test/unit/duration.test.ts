import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1.5h', 5_400_000],
    ['0.5s', 500],
    ['0s', 0],
    [' 10M ', 600_000],
    ['10 m', 600_000],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['10', 'm', '', '-5m', '10x', '1e3s', '10mm', 'ten minutes'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
