import type { Inbox } from '../inbox/inbox.js';
import type { InboundHandler } from './types.js';

/** Something that delivers a conversation's pending replies right away (an in-process dispatcher). */
export interface ImmediateDelivery {
  deliverConversation(conversationId: string): Promise<void>;
}

/**
 * What every channel adapter calls for an inbound message. It resolves once the message and
 * the replies it produced are committed — the moment the adapter may acknowledge the channel.
 * In the app, delivery of the replies is queued by the inbox after the commit (see createBot);
 * `immediate` instead hands them to an in-process dispatcher without waiting (channel tests).
 */
export function createInboundHandler(inbox: Inbox, immediate?: ImmediateDelivery): InboundHandler {
  return async (message) => {
    const result = await inbox.receive(message);
    if (immediate) void immediate.deliverConversation(result.conversationId);
  };
}
