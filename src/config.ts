import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseWorkingHours, WorkingHoursError } from './domain/working-hours.js';
import { parseDuration } from './duration.js';

/** The project root (one level above src/ or dist/), so defaults work from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 30s, 10m, 24h or 7d' });
        return z.NEVER;
      }
      return ms;
    });

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'expected a postgres:// or postgresql:// URL');

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A `true`/`false` switch (unset or empty: `fallback`). */
const flag = (fallback: boolean) =>
  z
    .preprocess(
      emptyAsUndefined,
      z.enum(['true', 'false'], { error: 'expected true or false' }).default(`${fallback}`),
    )
    .transform((v) => v === 'true');

/**
 * Every environment variable the app reads. The README's table lists the same names;
 * test/unit/readme-config.test.ts checks the two name the same variables.
 */
export const configSchema = z.object({
  PORT: z.coerce
    .number({ error: 'expected a port number between 1 and 65535' })
    .int({ error: 'expected a port number between 1 and 65535' })
    .min(1, { error: 'expected a port number between 1 and 65535' })
    .max(65_535, { error: 'expected a port number between 1 and 65535' })
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.preprocess(emptyAsUndefined, postgresUrl.optional()),
  /** Repeated statements as server-side prepared statements; false behind a pooler that drops them. */
  DATABASE_PREPARED_STATEMENTS: flag(true),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FLOWS_DIR: z.string().min(1).default(`${PROJECT_ROOT}flows`),
  LOCALES_DIR: z.string().min(1).default(`${PROJECT_ROOT}locales`),
  DEFAULT_LOCALE: z.enum(['ar', 'en']).default('ar'),
  HANDOFF_ACK_INTERVAL: duration('10m'),
  LOOKUP_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  LOOKUP_BLOCK: duration('1m'),
  /** Telegram: enabled when a token is set. */
  TELEGRAM_BOT_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d+:[\w-]{20,}$/, 'expected a bot token from @BotFather (digits:letters)')
      .optional(),
  ),
  /** Another Bot API server (a local Bot API server, or telegram-test-api in tests). */
  TELEGRAM_API_ROOT: z.url({ error: 'expected an http(s) URL' }).default('https://api.telegram.org'),
  /** Webhook mode when set (the public https URL Telegram posts to); long polling otherwise. */
  TELEGRAM_WEBHOOK_URL: z.preprocess(emptyAsUndefined, z.url({ error: 'expected an https URL' }).optional()),
  TELEGRAM_WEBHOOK_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'expected 16–256 letters, digits, _ or -')
      .optional(),
  ),
  /** WhatsApp (whatsapp-web.js): off unless "true". */
  WHATSAPP_ENABLED: flag(false),
  WHATSAPP_CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Least time between two messages to one WhatsApp chat (protects the number from bans). */
  WHATSAPP_CHAT_INTERVAL: duration('1s'),
  /** Most WhatsApp messages sent per minute, all chats together. */
  WHATSAPP_MAX_PER_MINUTE: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(1)
    .max(1000)
    .default(30),
  /**
   * How long a beneficiary's personal data is kept after their last activity (no request in
   * progress, nobody with staff); then it is erased. Unset → kept until an admin erases it.
   */
  DATA_RETENTION: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined || ms < 30 * 86_400_000) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration of at least 30d, such as 730d' });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  ),
  /** Web chat flood limit: messages one visitor may send per minute. */
  WEB_CHAT_MAX_PER_MINUTE: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(1)
    .max(10_000)
    .default(30),
  /** …and from one client address per minute, all its visitors together. */
  WEB_CHAT_MAX_PER_MINUTE_PER_IP: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(1)
    .max(1_000_000)
    .default(600),
  /** Bearer token for the admin endpoints (WhatsApp login QR) until the staff console exists; unset → disabled. */
  ADMIN_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(24, 'expected at least 24 characters').optional(),
  ),
  /** Bearer token a Prometheus scraper sends for GET /metrics; unset → no /metrics. */
  METRICS_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(24, 'expected at least 24 characters').optional(),
  ),
  /** The association's phone, address, links: shown under the policy's contact channels. */
  CONTACT_DETAILS: z.preprocess(emptyAsUndefined, z.string().max(1000).optional()),
  /** BullMQ on Redis when set; otherwise BullMQ's PostgreSQL backend (DATABASE_URL or embedded PGlite). */
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((value) => /^rediss?:\/\//.test(value), 'expected a redis:// or rediss:// URL')
      .optional(),
  ),
  /** An unfinished support request: a reminder after this long without an answer… */
  INTAKE_REMINDER_AFTER: duration('24h'),
  /** …and the half-filled request is discarded (with a message) after this long. */
  INTAKE_EXPIRES_AFTER: duration('7d'),
  /** A request with the research committee this long without a decision: tell the beneficiary it is still under review. */
  REVIEW_NOTICE_AFTER: duration('14d'),
  /** The satisfaction survey, this long after a request is served or staff close a conversation. */
  RATING_AFTER: duration('2h'),
  /** A conversation waiting for staff longer than this (working time) alerts staff and tells the beneficiary when to expect an answer. */
  HANDOFF_SLA: duration('30m'),
  /** When staff answer: days, hours and time zone. */
  WORKING_HOURS: z
    .string()
    .default('sun-thu 08:00-16:00 Asia/Riyadh')
    .transform((text, ctx) => {
      try {
        return parseWorkingHours(text);
      } catch (error) {
        if (!(error instanceof WorkingHoursError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }),
  /** Telegram's limit for one bot: messages per second, all chats together. */
  TELEGRAM_MAX_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(30),
  /** Staff session cookies marked Secure even when the request arrived over plain http (behind a TLS proxy). */
  STAFF_COOKIE_SECURE: flag(false),
  /**
   * Which proxies' X-Forwarded-For/-Proto to believe, so the login rate limit and the audit log
   * see the real address and the session cookie knows the request came over https: `false`
   * (none, the default), `true` (any: only when nothing but the proxy can reach the app), a hop
   * count, or a comma-separated list of addresses/CIDRs.
   */
  TRUST_PROXY: z.preprocess(emptyAsUndefined, z.string().default('false')).transform((text, ctx) => {
    const value = text.trim();
    if (value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    if (entries.every((entry) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry))) return entries;
    ctx.addIssue({
      code: 'custom',
      message: 'expected true, false, a hop count, or comma-separated proxy addresses/CIDRs',
    });
    return z.NEVER;
  }),
  /** Outbound deliveries run at once per process (each conversation stays in order). */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Follow-ups run at once per process. Most (the intake's reminders and expiries) wait for a
   * shared statement rather than a connection, so many at once cost little and share more.
   */
  FOLLOW_UP_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(128),
});

export type Config = z.output<typeof configSchema>;

/** Raised for invalid configuration; the message is the single line the operator needs to read. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates the environment. The first problem becomes one line naming the variable,
 * e.g. `Invalid configuration: PORT must be ... (got "abc")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`PORT=` in a .env file) means "not set": the default applies.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const received = env[variable];
  // Secrets (URLs with passwords, tokens) are never echoed back into logs.
  const secret = /URL|TOKEN|SECRET|PASSWORD/.test(variable);
  const shown = received === undefined || secret ? '' : ` (got ${JSON.stringify(received.slice(0, 60))})`;
  throw new ConfigError(`Invalid configuration: ${variable}: ${issue?.message ?? 'invalid'}${shown}`);
}
