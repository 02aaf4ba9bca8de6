import { fileURLToPath } from 'node:url';
import { z } from 'zod';
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

/**
 * Every environment variable the app reads. The README's table lists the same names;
 * `describeConfig()` below prints it so the two cannot drift.
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
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FLOWS_DIR: z.string().min(1).default(`${PROJECT_ROOT}flows`),
  LOCALES_DIR: z.string().min(1).default(`${PROJECT_ROOT}locales`),
  DEFAULT_LOCALE: z.enum(['ar', 'en']).default('ar'),
  HANDOFF_ACK_INTERVAL: duration('10m'),
  LOOKUP_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  LOOKUP_BLOCK: duration('1m'),
  /** The association's phone, address, links: shown under the policy's contact channels. */
  CONTACT_DETAILS: z.preprocess(emptyAsUndefined, z.string().max(1000).optional()),
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
