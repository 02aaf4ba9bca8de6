import { TelegramError } from 'telegraf';
import { redactDigits } from '../../logger.js';
import { ChannelSendError } from '../send-error.js';

/**
 * A transport failure in words that are safe to log and to show in /healthz: the error's name
 * and system code only. Never the error's message, which for a failed request quotes the URL
 * (and so the bot token, which carries the bot's id).
 */
function transportReason(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `${error.name} ${code}` : error.name;
}

/** Telegram's own description of a refusal (it names no person); digit runs masked all the same. */
function describe(error: TelegramError): string {
  return redactDigits(`${error.code} ${error.description ?? ''}`.trim());
}

/**
 * Translates a Bot API failure into a send failure by kind, for the outbound dispatcher:
 * 429 waits for Telegram's retry_after; 403 (the person blocked the bot, or their account is
 * deleted) and 400 «chat not found» mean the person cannot be reached; other 4xx refuse this
 * message for good; 5xx and network failures are worth retrying. The message text is never
 * included.
 */
export function toSendError(error: unknown): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  if (error instanceof TelegramError) {
    const code = error.code;
    const description = describe(error);
    if (code === 429) {
      const retryAfter = error.parameters?.retry_after;
      return new ChannelSendError('rate_limited', description, {
        code,
        retryAfterMs: (typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : 1) * 1000,
      });
    }
    if (code === 403) return new ChannelSendError('unreachable', description, { code });
    if (code === 400 && /chat not found|user not found|PEER_ID_INVALID|bot was blocked/i.test(description)) {
      return new ChannelSendError('unreachable', description, { code });
    }
    if (code >= 400 && code < 500) return new ChannelSendError('permanent', description, { code });
    return new ChannelSendError('transient', description, { code });
  }
  return new ChannelSendError('transient', `transport failure (${transportReason(error)})`);
}

/**
 * Why the bot could not start, in one line for the log and /healthz: a token Telegram refuses,
 * a refusal of another kind, or an API that cannot be reached. Never the token itself.
 */
export function describeStartError(error: unknown, apiRoot: string): string {
  if (error instanceof TelegramError) {
    if (error.code === 401 || error.code === 404) {
      return `Telegram rejected the bot token (${describe(error)}): check TELEGRAM_BOT_TOKEN`;
    }
    if (error.code === 409) {
      return `another process receives this bot's updates (${describe(error)})`;
    }
    return `Telegram refused to start the bot (${describe(error)})`;
  }
  let host = 'the configured address';
  try {
    host = new URL(apiRoot).host;
  } catch {
    // An unparsable root is named generically.
  }
  return `cannot reach the Telegram Bot API at ${host} (${transportReason(error)})`;
}
