import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit.js';
import { csrfTokenFor } from '../auth/csrf.js';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.js';
import { createSession, deleteSession } from '../auth/sessions.js';
import type { StaffContext } from '../context.js';
import { StaffApiError } from '../errors.js';
import { clearSessionCookie, sessionOf, setSessionCookie } from '../http/guard.js';
import { findAccountByEmail } from '../storage/accounts.js';
import { PASSWORD_MAX_LENGTH } from '../validation.js';

// Loose on purpose: a malformed email is just a wrong one, answered like any other.
const loginBody = z.object({
  email: z
    .string()
    .max(254)
    .transform((email) => email.trim().toLowerCase()),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

const INVALID_CREDENTIALS = 'wrong email or password';

export function authRoutes(app: FastifyInstance, ctx: StaffContext): void {
  /**
   * Login. Every attempt is counted before the password is checked (see LoginThrottle); an
   * unknown email, a wrong password and a disabled account get the same answer after the same
   * amount of work (a dummy hash is verified when there is no account).
   */
  app.post('/login', { config: { staffAccess: 'public' } }, async (request, reply) => {
    const { email, password } = loginBody.parse(request.body);
    const decision = await ctx.throttle.begin(email, request.ip);
    const account = await findAccountByEmail(ctx.db, email);
    if (!decision.allowed) {
      await recordAudit(ctx.db, { staffId: account?.id ?? null, action: 'login_throttled', ip: request.ip });
      throw new StaffApiError('too_many_attempts', 'too many failed sign-in attempts; try again later', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const matches = await verifyPassword(password, account?.password_hash ?? (await dummyPasswordHash()));
    if (!account || !matches || account.disabled) {
      await recordAudit(ctx.db, {
        staffId: account?.id ?? null,
        action: 'login_failed',
        ip: request.ip,
        details: { reason: !account ? 'unknown_email' : !matches ? 'wrong_password' : 'disabled' },
      });
      throw new StaffApiError('invalid_credentials', INVALID_CREDENTIALS);
    }
    await ctx.throttle.succeeded(decision.attemptId, email);
    const token = await createSession(ctx.db, account.id);
    await recordAudit(ctx.db, { staffId: account.id, action: 'login', ip: request.ip });
    setSessionCookie(reply, request, token, ctx.cookieSecure);
    return {
      staff: { id: account.id, email: account.email, name: account.name, role: account.role },
      csrfToken: csrfTokenFor(token),
    };
  });

  app.post('/logout', async (request, reply) => {
    const session = sessionOf(request);
    await deleteSession(ctx.db, session.sessionId);
    await recordAudit(ctx.db, { staffId: session.staff.id, action: 'logout', ip: request.ip });
    clearSessionCookie(reply, request, ctx.cookieSecure);
    return reply.status(204).send();
  });

  app.get('/me', async (request) => {
    const session = sessionOf(request);
    return { staff: session.staff, csrfToken: csrfTokenFor(session.token) };
  });
}
