import { describe, expect, it } from 'vitest';
import { runAgainIfTransient } from '../../src/storage/transient-errors.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('runAgainIfTransient', () => {
  it('runs a deadlock victim or a serialization failure again, and returns its result', async () => {
    const failures = [pgError('40P01'), pgError('40001')];
    let tries = 0;
    const result = await runAgainIfTransient(async () => {
      tries++;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'done';
    });
    expect(result).toBe('done');
    expect(tries).toBe(3);
  });

  it('throws any other error at once', async () => {
    let tries = 0;
    await expect(
      runAgainIfTransient(async () => {
        tries++;
        throw pgError('23505');
      }),
    ).rejects.toThrow('pg 23505');
    expect(tries).toBe(1);
  });

  it('gives up after three tries', async () => {
    let tries = 0;
    await expect(
      runAgainIfTransient(async () => {
        tries++;
        throw pgError('40P01');
      }),
    ).rejects.toThrow('pg 40P01');
    expect(tries).toBe(3);
  });
});
