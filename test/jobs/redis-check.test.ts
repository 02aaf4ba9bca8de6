import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisEviction } from '../../src/jobs/redis-check.js';
import { createLogger, type Logger } from '../../src/logger.js';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A logger whose `warn` calls are recorded (everything else is silent). */
function recordingLogger(): { logger: Logger; warnings: Array<{ fields: unknown; message: string }> } {
  const warnings: Array<{ fields: unknown; message: string }> = [];
  const logger = createLogger('silent');
  logger.warn = ((fields: unknown, message: string) => {
    warnings.push({ fields, message });
  }) as Logger['warn'];
  return { logger, warnings };
}

/**
 * BullMQ's jobs are Redis keys: any eviction policy but `noeviction` can drop queued messages.
 * Against the real Redis, with its policy changed for the test and restored afterwards.
 */
describe('Redis maxmemory-policy check', () => {
  const admin = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  let original: string | undefined;

  beforeAll(async () => {
    await admin.connect();
    original = ((await admin.config('GET', 'maxmemory-policy')) as string[])[1];
  });
  afterAll(async () => {
    admin.disconnect();
  });

  async function withPolicy<T>(policy: string, run: () => Promise<T>): Promise<T> {
    await admin.config('SET', 'maxmemory-policy', policy);
    try {
      return await run();
    } finally {
      if (original) await admin.config('SET', 'maxmemory-policy', original);
    }
  }

  it('warns clearly when Redis may evict keys', async () => {
    const { logger, warnings } = recordingLogger();
    const policy = await withPolicy('allkeys-lru', () => checkRedisEviction(TEST_REDIS_URL, logger));
    expect(policy).toBe('allkeys-lru');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toEqual({ policy: 'allkeys-lru' });
    expect(warnings[0]?.message).toContain('"allkeys-lru"');
    expect(warnings[0]?.message).toContain('maxmemory-policy noeviction');
    expect(warnings[0]?.message).toMatch(/evicted and messages lost/);
  });

  it('says nothing with noeviction', async () => {
    const { logger, warnings } = recordingLogger();
    const policy = await withPolicy('noeviction', () => checkRedisEviction(TEST_REDIS_URL, logger));
    expect(policy).toBe('noeviction');
    expect(warnings).toEqual([]);
  });

  it('restored the original policy', async () => {
    expect(((await admin.config('GET', 'maxmemory-policy')) as string[])[1]).toBe(original);
  });
});
