import { ChannelSendError } from '../send-error.js';

/**
 * WhatsApp Web's own words for a recipient it cannot write to: an id it does not accept, or a
 * phone-number id with no WhatsApp account behind it.
 */
const UNREACHABLE = /invalid wid|no lid for user|not a whatsapp user|not registered/i;

/**
 * Puppeteer's words for a browser that went away under a send (crashed, killed): the client must
 * be replaced. A page reloading itself ("execution context was destroyed") is only transient.
 */
const CLIENT_GONE = /session closed|target closed|connection closed|browser has disconnected/i;

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : '';
}

/** Whether an error says the client's browser is gone (so it is no longer ready). */
export function isClientGone(error: unknown): boolean {
  return CLIENT_GONE.test(messageOf(error));
}

/**
 * A whatsapp-web.js send failure as a ChannelSendError, by kind; never carries the text or the
 * number. Recipients WhatsApp refuses are unreachable; everything else (browser hiccups, timeouts,
 * WhatsApp Web reloading) is transient and retried.
 */
export function toSendError(error: unknown): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  const message = messageOf(error);
  if (UNREACHABLE.test(message)) {
    return new ChannelSendError('unreachable', 'WhatsApp does not accept this recipient', {
      code: 'unknown_recipient',
    });
  }
  if (CLIENT_GONE.test(message)) {
    return new ChannelSendError('transient', 'WhatsApp Web closed during the send', { code: 'client_gone' });
  }
  return new ChannelSendError('transient', 'WhatsApp Web could not send the message', {
    code: 'send_failed',
  });
}
