import type { Inbox } from '../inbox/inbox.js';
import type { OutboundDispatcher } from '../outbound/dispatcher.js';
import type { InboundHandler } from './types.js';

/**
 * What every channel adapter calls for an inbound message. It resolves once the message and
 * the replies it produced are committed — the moment the adapter may acknowledge the channel —
 * and hands delivery of the replies to the dispatcher without waiting for it.
 */
export function createInboundHandler(inbox: Inbox, dispatcher: OutboundDispatcher): InboundHandler {
  return async (message) => {
    const result = await inbox.receive(message);
    void dispatcher.deliverConversation(result.conversationId);
  };
}
