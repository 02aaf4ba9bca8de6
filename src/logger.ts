import { type Logger, pino } from 'pino';

/**
 * Field names that may carry personal data (national ID, phone, income) or message text.
 * Log records never include them; pino replaces their values before anything is written.
 */
const REDACTED_FIELDS = [
  'text',
  'nationalId',
  'national_id',
  'mobile',
  'phone',
  'phoneE164',
  'monthlyIncome',
  'monthly_income',
  'variables',
  'password',
  'token',
];

const REDACT_PATHS = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export type { Logger };

/** Creates the app logger; logs always go to stderr so the simulator's stdout stays pure JSON lines. */
export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

const DIGIT_RUN =
  /[0-9\u0660-\u0669\u06F0-\u06F9][0-9\u0660-\u0669\u06F0-\u06F9\s-]{5,}[0-9\u0660-\u0669\u06F0-\u06F9]/g;

/** Masks long digit runs (IDs, phone numbers) in free text that has to be logged, e.g. an error message. */
export function redactDigits(text: string): string {
  return text.replace(DIGIT_RUN, '[redacted]');
}

/**
 * An error as it may be logged: its kind and a digit-masked message, never the driver's
 * `detail`/`parameters` fields, which can quote the values of a failed row.
 */
export function safeError(error: unknown): { type: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: redactDigits(String(error)) };
  const stack = error.stack?.split('\n').slice(1, 6).join('\n');
  return { type: error.name, message: redactDigits(error.message), ...(stack ? { stack } : {}) };
}
