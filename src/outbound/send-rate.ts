import type { ChannelAdapter, OutboundMessage } from '../channels/types.js';

/**
 * Wraps an adapter's send so that at most `perSecond` messages leave per second, all chats
 * together (Telegram allows a bot about 30). A transformer around send — grammY's habit — so
 * the adapter stays a translator and the limit is tested on its own. Sends wait their turn in
 * order; none is dropped.
 */
export function withSendRate(
  adapter: ChannelAdapter,
  perSecond: number,
  now: () => number = Date.now,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): ChannelAdapter {
  const interval = 1000 / perSecond;
  let nextSlot = 0;
  const send = async (message: OutboundMessage) => {
    const at = Math.max(now(), nextSlot);
    nextSlot = at + interval;
    const wait = at - now();
    if (wait > 0) await sleep(wait);
    await adapter.send(message);
  };
  return {
    channel: adapter.channel,
    capabilities: adapter.capabilities,
    start: (onMessage) => adapter.start(onMessage),
    stop: () => adapter.stop(),
    send,
  };
}
