import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isValidCsrfToken } from '../auth/csrf.js';
import { findSession, SESSION_ABSOLUTE_MS, type StaffSession } from '../auth/sessions.js';
import { StaffApiError } from '../errors.js';
import { hasRole, type StaffRole } from '../roles.js';
import type { StaffDb } from '../storage/schema.js';

/** Who may call a route: anyone (login), or staff of at least this role. */
export type StaffAccess = 'public' | StaffRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Defaults to 'agent': a route is for signed-in staff unless it says otherwise. */
    staffAccess?: StaffAccess;
  }
  interface FastifyRequest {
    staffSession: StaffSession | null;
  }
}

export const SESSION_COOKIE = 'staff_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface GuardOptions {
  db: StaffDb;
  /** Access for routes that do not say (default 'agent'). */
  defaultAccess?: StaffAccess;
  /**
   * How state-changing requests prove they come from our pages: the `x-csrf-token` header (the
   * console), or — for a third-party page such as Bull Board, which cannot send it — an Origin
   * header naming this server, on top of the SameSite=Strict cookie.
   */
  csrf?: 'token' | 'same-origin';
}

function csrfProven(request: FastifyRequest, session: StaffSession, mode: 'token' | 'same-origin'): boolean {
  if (mode === 'same-origin') return request.headers.origin === `${request.protocol}://${request.host}`;
  const given = request.headers['x-csrf-token'];
  return isValidCsrfToken(session.token, typeof given === 'string' ? given : undefined);
}

function refusal(
  request: FastifyRequest,
  access: StaffRole,
  session: StaffSession | undefined,
  options: GuardOptions,
): StaffApiError | undefined {
  if (!session) return new StaffApiError('unauthenticated', 'please sign in');
  const csrf = options.csrf ?? 'token';
  if (!SAFE_METHODS.has(request.method) && !csrfProven(request, session, csrf)) {
    return new StaffApiError(
      'csrf',
      csrf === 'token'
        ? 'missing or wrong x-csrf-token header; reload the console'
        : 'this request must come from this server’s own pages',
    );
  }
  if (!hasRole(session.staff.role, access))
    return new StaffApiError('forbidden', `this needs the ${access} role`);
  return undefined;
}

/**
 * Authentication, CSRF and role checks for every route of the plugin it is added to, before the
 * body is even read. Secure by default: a route without `staffAccess` needs a signed-in agent
 * (or the guard's `defaultAccess`). Refusals are sent from here, in the staff API's error format,
 * whatever error handler the guarded routes have.
 */
export async function addStaffGuard(app: FastifyInstance, options: GuardOptions): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('staffSession', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.staffAccess ?? options.defaultAccess ?? 'agent';
    if (access === 'public') return undefined;
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await findSession(options.db, token) : undefined;
    const refused = refusal(request, access, session, options);
    if (refused) return reply.status(refused.status).send({ error: refused.code, message: refused.message });
    request.staffSession = session ?? null;
    return undefined;
  });
}

/** The signed-in staff member of a guarded route. */
export function sessionOf(request: FastifyRequest): StaffSession {
  if (!request.staffSession) throw new StaffApiError('unauthenticated', 'please sign in');
  return request.staffSession;
}

/**
 * Cookie flags: HttpOnly (page scripts cannot read it), SameSite=Strict (never sent on requests
 * from other sites), Secure when the request came over https — `request.protocol` trusts
 * X-Forwarded-Proto only when the server was built with trustProxy — or when configured.
 */
export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string,
  secure: boolean,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: secure || request.protocol === 'https',
    maxAge: SESSION_ABSOLUTE_MS / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: secure || request.protocol === 'https',
  });
}
