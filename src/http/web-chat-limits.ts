import { createHmac } from 'node:crypto';
import rateLimit, { type FastifyRateLimitStore, normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { safeError } from '../logger.js';
import type { DatabaseKind } from '../storage/database.js';
import { countHit, deleteEndedCounts, installSecret } from '../storage/repositories/web-chat-limits.js';
import type { Database } from '../storage/schema.js';

/**
 * Where the counts live. Several processes behind a load balancer must share them, or a visitor
 * may send the limit to each: in Redis when there is one, else in the PostgreSQL all of them
 * use; the embedded PGlite is a single process, so its counts stay in that process's memory.
 */
export type LimitCounts =
  | {
      kind: 'redis';
      url: string;
      /** Key prefix (tests give each suite its own). */
      prefix?: string | undefined;
    }
  | { kind: 'postgres' }
  | { kind: 'memory' };

export interface WebChatLimits {
  /** Messages one visitor may send per minute (a person typing or tapping choices never needs more). */
  perVisitorPerMinute: number;
  /** Messages from one client address per minute, all visitors together (floods of new visitors). */
  perAddressPerMinute: number;
  counts: LimitCounts;
  /** How long a count lasts: a minute (tests shorten it). */
  windowMs?: number;
}

/** Why a message was refused, and when to try again. */
export type LimitVerdict =
  | { allowed: true }
  | { allowed: false; scope: 'visitor' | 'address'; retryAfterSeconds: number };

const MINUTE_MS = 60_000;

/** Redis keys of the counts; BullMQ's are under "bull:" (or the queues' test prefix). */
const REDIS_PREFIX = 'aiou:web-chat-limits:';

/** How long a Redis command may take before the message is let through uncounted. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

/** The counts of REDIS_URL, else of the app's PostgreSQL, else this process's own. */
export function limitCounts(
  redisUrl: string | undefined,
  database: DatabaseKind,
  redisPrefix?: string,
): LimitCounts {
  if (redisUrl) return { kind: 'redis', url: redisUrl, prefix: redisPrefix };
  return database === 'postgres' ? { kind: 'postgres' } : { kind: 'memory' };
}

/**
 * A @fastify/rate-limit store on the app's PostgreSQL: one upsert per check (countHit). Ended
 * windows are deleted by the first check after each window, at most once a window per process.
 */
function postgresStore(db: Kysely<Database>, windowMs: number) {
  let nextCleanup = 0;
  return class PostgresCountStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void) {
      const count = async () => {
        if (Date.now() >= nextCleanup) {
          nextCleanup = Date.now() + windowMs;
          await deleteEndedCounts(db);
        }
        return countHit(db, key, windowMs);
      };
      count().then(
        ({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    }
    // One table for both limits: the keys already say which one they count.
    child() {
      return this;
    }
  };
}

/**
 * The web chat's flood limits (@fastify/rate-limit): the public endpoint writes a row per message,
 * so a script must not be able to fill the database. A refused message is not stored; the page
 * keeps it and sends it again after the `retry-after` it is given, so nothing a person typed is
 * lost. The address is the one Fastify sees — the real client's only when TRUST_PROXY names the
 * proxy in front.
 *
 * Counted keys are HMACs (under the installation's secret, so the same in every process) of the
 * visitor id and of the address as the plugin normalises it (IPv6 to its /64): neither is kept in
 * Redis or in the database in clear.
 *
 * When the counts cannot be read (Redis or the database down, or too slow), the message is let
 * through uncounted and a warning is logged, at most once a minute per process (fail open, which
 * is why the plugin's skipOnError, silent, is not used): this endpoint is how beneficiaries reach
 * the association, and an outage of the counters should not cut every one of them off to guard
 * against a flood that may never come. Without the database nothing is stored anyway. In Redis
 * the keys are `<prefix>undefinedundefined-<scope>:<hmac>`: the plugin's child store adds a
 * route's method and url, which createRateLimit leaves unset.
 */
export async function createWebChatLimiter(
  app: FastifyInstance,
  limits: WebChatLimits,
  db: Kysely<Database>,
): Promise<(request: FastifyRequest) => Promise<LimitVerdict>> {
  const windowMs = limits.windowMs ?? MINUTE_MS;
  let quietUntil = 0;
  const warnUnavailable = (error: unknown) => {
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + MINUTE_MS;
    app.log.warn(
      { err: safeError(error), counts: limits.counts.kind },
      'web chat flood limits unavailable: messages are let through uncounted',
    );
  };

  const { counts } = limits;
  if (counts.kind === 'redis') {
    // A connection of its own, not BullMQ's: that one queues commands while Redis is away and
    // retries them forever (its workers need that), which would hold every message as long. This
    // one fails a command at once while disconnected, or after REDIS_COMMAND_TIMEOUT_MS, and
    // keeps reconnecting in the background.
    const redis = new Redis(counts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
    });
    redis.on('error', warnUnavailable);
    app.addHook('onClose', async () => redis.disconnect());
    await redis.connect().catch(warnUnavailable);
    // skipOnError stays false: the errors come to the verdict below, which logs them.
    await app.register(rateLimit, { global: false, redis, nameSpace: counts.prefix ?? REDIS_PREFIX });
  } else if (counts.kind === 'postgres') {
    await app.register(rateLimit, { global: false, store: postgresStore(db, windowMs) });
  } else {
    await app.register(rateLimit, { global: false });
  }

  const secret = await installSecret(db, 'web_chat_limits');
  const keyOf = (scope: string, value: string) =>
    `${scope}:${createHmac('sha256', secret).update(`${scope}\0${value}`).digest('base64url')}`;
  const byAddress = app.createRateLimit({
    max: limits.perAddressPerMinute,
    timeWindow: windowMs,
    keyGenerator: (request) => keyOf('address', normalizeIP(request.ip)),
  });
  const byVisitor = app.createRateLimit({
    max: limits.perVisitorPerMinute,
    timeWindow: windowMs,
    // Asked only after the body was validated, so the visitor id is there.
    keyGenerator: (request) => keyOf('visitor', (request.body as { visitorId: string }).visitorId),
  });
  // `isAllowed` only means "on the allow list" (none here); `isExceeded` is the verdict.
  return async (request) => {
    try {
      const address = await byAddress(request);
      if (!address.isAllowed && address.isExceeded)
        return { allowed: false, scope: 'address', retryAfterSeconds: address.ttlInSeconds };
      const visitor = await byVisitor(request);
      if (!visitor.isAllowed && visitor.isExceeded)
        return { allowed: false, scope: 'visitor', retryAfterSeconds: visitor.ttlInSeconds };
    } catch (error) {
      warnUnavailable(error);
    }
    return { allowed: true };
  };
}
