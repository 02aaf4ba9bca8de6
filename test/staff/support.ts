import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/http/server.js';
import type { LoginLimits } from '../../src/staff/auth/login-throttle.js';
import type { StaffControl } from '../../src/staff/control.js';
import type { StaffRole } from '../../src/staff/roles.js';
import { createStaffAccount } from '../../src/staff/storage/accounts.js';
import { type StaffDb, staffDb } from '../../src/staff/storage/schema.js';
import type { DatabaseKind } from '../../src/storage/database.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

export interface StaffTestApp {
  bot: TestBot;
  app: FastifyInstance;
  db: StaffDb;
  close(): Promise<void>;
}

export interface StaffTestOptions {
  loginLimits?: LoginLimits;
  cookieSecure?: boolean;
  trustProxy?: boolean | number | string[];
  eventsIntervalMs?: number;
}

/** The whole server (web chat and staff API) on a bot with a database of its own. */
export async function createStaffTestApp(
  kind: DatabaseKind,
  options: StaffTestOptions = {},
): Promise<StaffTestApp> {
  const bot = await createTestBot(kind);
  const control: StaffControl = bot.control;
  const app = await buildServer({
    bot,
    logger: silentLogger,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    staff: {
      db: bot.database.db,
      logger: silentLogger,
      control,
      cookieSecure: options.cookieSecure ?? false,
      whatsappStatus: () => ({ state: 'starting', qr: 'QR-DATA', reason: 'waiting for QR scan' }),
      ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
      ...(options.eventsIntervalMs ? { eventsIntervalMs: options.eventsIntervalMs } : {}),
    },
  });
  return {
    bot,
    app,
    db: staffDb(bot.database.db),
    close: async () => {
      await app.close();
      await bot.close();
      await bot.drop();
    },
  };
}

export interface TestStaff {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  password: string;
}

let counter = 0;

/** A staff account with a known password. */
export async function createStaff(db: StaffDb, role: StaffRole, name?: string): Promise<TestStaff> {
  counter += 1;
  const email = `${role}${counter}@example.org`;
  const password = `correct horse ${counter} battery`;
  const account = await createStaffAccount(db, { email, name: name ?? `${role} ${counter}`, password, role });
  return { id: account.id, email, name: account.name, role, password };
}

export interface Session {
  cookie: string;
  csrf: string;
  staff: TestStaff;
}

export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'staff_session');
  if (!cookie) throw new Error(`no session cookie (status ${response.statusCode}: ${response.body})`);
  return cookie.value;
}

export async function login(app: FastifyInstance, staff: TestStaff): Promise<Session> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/staff/login',
    payload: { email: staff.email, password: staff.password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return { cookie: sessionCookie(response), csrf: response.json<{ csrfToken: string }>().csrfToken, staff };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A request as a signed-in staff member, with the CSRF header on state-changing methods. */
export function call(app: FastifyInstance, session: Session, method: Method, url: string, payload?: unknown) {
  return app.inject({
    method,
    url,
    cookies: { staff_session: session.cookie },
    headers: method === 'GET' ? {} : { 'x-csrf-token': session.csrf },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}
