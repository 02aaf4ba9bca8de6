import { describe, expect, it } from 'vitest';
import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';
import { withSendRate } from '../../src/outbound/send-rate.js';

describe('send rate (Telegram: 30 messages a second per bot)', () => {
  it('spaces sends 1000/perSecond ms apart, in order, dropping none', async () => {
    let clock = 0;
    const sentAt: Array<[string, number]> = [];
    const adapter: ChannelAdapter = {
      channel: 'telegram',
      capabilities: { buttons: true, maxButtons: 10, maxTextLength: 4096 },
      start: async () => {},
      stop: async () => {},
      send: async (message) => {
        sentAt.push([message.id, clock]);
      },
    };
    const limited = withSendRate(
      adapter,
      30,
      () => clock,
      async (ms) => {
        clock += ms;
      },
    );
    const message = (id: string): OutboundMessage => ({
      id,
      conversationId: 'c',
      channel: 'telegram',
      externalUserId: 'u',
      text: id,
      choices: [],
      flowId: null,
      nodeId: null,
    });
    for (let i = 0; i < 61; i++) await limited.send(message(`m${i}`));
    expect(sentAt.map(([id]) => id)).toEqual(Array.from({ length: 61 }, (_, i) => `m${i}`));
    // 61 messages at 30/s take two seconds: the 61st leaves at 2000 ms, never earlier.
    expect(sentAt.at(-1)?.[1]).toBeCloseTo(2000, 5);
    const perSecond = sentAt.filter(([, at]) => at < 1000).length;
    expect(perSecond).toBe(30);
  });
});
