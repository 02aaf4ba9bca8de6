import { Redis } from 'ioredis';
import { type Logger, safeError } from '../logger.js';

/**
 * BullMQ keeps its jobs as Redis keys: under any eviction policy but `noeviction`, Redis may
 * silently drop queued messages when memory runs short. Warn loudly at start if so.
 * Returns the policy found (undefined when it could not be read).
 */
export async function checkRedisEviction(redisUrl: string, logger: Logger): Promise<string | undefined> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy !== 'noeviction') {
      logger.warn(
        { policy },
        `Redis maxmemory-policy is "${policy}": queued jobs can be evicted and messages lost. Set "maxmemory-policy noeviction" in redis.conf.`,
      );
    }
    return policy;
  } catch (error) {
    // Managed Redis services often forbid CONFIG: say it could not be checked.
    logger.warn(
      { err: safeError(error) },
      'could not read Redis maxmemory-policy; make sure it is noeviction',
    );
    return undefined;
  } finally {
    redis.disconnect();
  }
}
