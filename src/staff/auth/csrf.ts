import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The CSRF token is derived from the session token (an HMAC keyed with it), so it needs no
 * storage, changes with every login, and only someone who holds the session — which lives in an
 * HttpOnly cookie a hostile page cannot read — can compute it. The console gets it from `login`
 * or `me` and sends it back in `x-csrf-token`.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('staff-console csrf v1').digest('base64url');
}

export function isValidCsrfToken(sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
