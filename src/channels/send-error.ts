/**
 * Why a channel refused a message, by kind, so the dispatcher can react without matching error
 * strings: wait and retry (rate limited), stop sending to this person (unreachable), retry with
 * backoff (transient), or give up on this message (permanent). Never carries message text.
 */
export type SendFailureKind = 'rate_limited' | 'unreachable' | 'transient' | 'permanent';

export class ChannelSendError extends Error {
  override readonly name = 'ChannelSendError';

  constructor(
    readonly kind: SendFailureKind,
    message: string,
    readonly details: { retryAfterMs?: number; code?: number | string } = {},
  ) {
    super(message);
  }
}
