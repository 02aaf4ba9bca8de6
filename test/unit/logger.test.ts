import { describe, expect, it } from 'vitest';
import { redactDigits, safeError } from '../../src/logger.js';

describe('redactDigits', () => {
  it.each([
    ['id 1000000008 failed', 'id [redacted] failed'],
    ['phone ٠٥١٢٣٤٥٦٧٨', 'phone [redacted]'],
    ['۱۲۳۴۵۶۷۸۹۰', '[redacted]'],
    ['051-234-5678', '[redacted]'],
    ['a 12 34 56 78 b', 'a [redacted] b'],
    ['ref 1234567', 'ref [redacted]'],
  ])('%j → %j', (input, expected) => {
    expect(redactDigits(input)).toBe(expected);
  });

  it('hides every digit of an international number', () => {
    expect(redactDigits('+966 51 234 5678')).not.toMatch(/\d/);
  });

  it.each(['12345', '123456', 'year 2024', 'abc', ''])('leaves short numbers alone: %j', (input) => {
    expect(redactDigits(input)).toBe(input);
  });
});

describe('safeError', () => {
  it('keeps the type and a masked message, drops driver fields', () => {
    const error = Object.assign(new Error('duplicate key 1000000008'), {
      detail: 'Key (national_id)=(1000000008) already exists',
      parameters: ['1000000008', '0512345678'],
    });
    const safe = safeError(error);
    expect(Object.keys(safe).sort()).toEqual(['message', 'stack', 'type']);
    expect(safe.type).toBe('Error');
    expect(safe.message).toBe('duplicate key [redacted]');
    expect(JSON.stringify(safe)).not.toContain('1000000008');
    expect(JSON.stringify(safe)).not.toContain('0512345678');
  });

  it('keeps the name of error subclasses', () => {
    class LookupError extends Error {
      override name = 'LookupError';
    }
    expect(safeError(new LookupError('x')).type).toBe('LookupError');
  });

  it('omits the stack when there is none', () => {
    const error = new Error('m');
    error.stack = undefined;
    expect(safeError(error)).toEqual({ type: 'Error', message: 'm' });
  });

  it('describes non-errors by their type with masked text', () => {
    expect(safeError('oops 0512345678')).toEqual({ type: 'string', message: 'oops [redacted]' });
    expect(safeError(42)).toEqual({ type: 'number', message: '42' });
    expect(safeError(null)).toEqual({ type: 'object', message: 'null' });
  });
});
