import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';

/** A channel stand-in that records what the outbound queue delivers, with the time. */
export class RecordingChannel implements ChannelAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = { buttons: true, maxButtons: 10, maxTextLength: 4096 };
  readonly delivered: Array<OutboundMessage & { at: number }> = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(message: OutboundMessage): Promise<void> {
    this.delivered.push({ ...message, at: Date.now() });
  }
  to(user: string) {
    return this.delivered.filter((message) => message.externalUserId === user);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value. */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}
