import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface WebChatLimits {
  /** Messages one visitor may send per minute (a person typing or tapping choices never needs more). */
  perVisitorPerMinute: number;
  /** Messages from one client address per minute, all visitors together (floods of new visitors). */
  perAddressPerMinute: number;
}

/** Why a message was refused, and when to try again. */
export type LimitVerdict =
  | { allowed: true }
  | { allowed: false; scope: 'visitor' | 'address'; retryAfterSeconds: number };

const MINUTE_MS = 60_000;

/**
 * The web chat's flood limits, counted in this process's memory (@fastify/rate-limit's LRU
 * store): the public endpoint writes a row per message, so a script must not be able to fill the
 * database. A refused message is not stored; the page keeps it and sends it again after the
 * `retry-after` it is given, so nothing a person typed is lost. The address is the one Fastify
 * sees — the real client's only when TRUST_PROXY names the proxy in front.
 */
export async function createWebChatLimiter(
  app: FastifyInstance,
  limits: WebChatLimits,
): Promise<(request: FastifyRequest) => Promise<LimitVerdict>> {
  await app.register(rateLimit, { global: false });
  const byAddress = app.createRateLimit({ max: limits.perAddressPerMinute, timeWindow: MINUTE_MS });
  const byVisitor = app.createRateLimit({
    max: limits.perVisitorPerMinute,
    timeWindow: MINUTE_MS,
    // Asked only after the body was validated, so the visitor id is there.
    keyGenerator: (request) => `visitor:${(request.body as { visitorId: string }).visitorId}`,
  });
  // `isAllowed` only means "on the allow list" (none here); `isExceeded` is the verdict.
  return async (request) => {
    const address = await byAddress(request);
    if (!address.isAllowed && address.isExceeded)
      return { allowed: false, scope: 'address', retryAfterSeconds: address.ttlInSeconds };
    const visitor = await byVisitor(request);
    if (!visitor.isAllowed && visitor.isExceeded)
      return { allowed: false, scope: 'visitor', retryAfterSeconds: visitor.ttlInSeconds };
    return { allowed: true };
  };
}
