/** How fast the WhatsApp number may write: a number that sends in bursts gets banned. */
export interface PacerOptions {
  /** Least time between two messages to one chat. */
  chatIntervalMs: number;
  /** Most messages in any 60 seconds, all chats together. */
  maxPerMinute: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const MINUTE = 60_000;
/** Chats not written to for this long are forgotten (their interval has long passed). */
const FORGET_AFTER = 10 * MINUTE;

/**
 * Paces outgoing messages: at least `chatIntervalMs` between two messages to one chat and at
 * most `maxPerMinute` in any sliding minute overall. A message over either limit waits for its
 * slot; nothing is dropped. The check and the booking of a slot happen without yielding, so
 * concurrent senders never take the same slot.
 */
export class Pacer {
  private readonly lastByChat = new Map<string, number>();
  /** Times of the sends in the last minute, oldest first. */
  private readonly recent: number[] = [];

  constructor(private readonly options: PacerOptions) {}

  /** Resolves when a message to `chat` may go out, and books that moment. */
  async acquire(chat: string, shouldContinue: () => boolean = () => true): Promise<void> {
    for (;;) {
      const now = this.options.now();
      while (this.recent.length > 0 && (this.recent[0] as number) <= now - MINUTE) this.recent.shift();
      const last = this.lastByChat.get(chat);
      const chatWait = last === undefined ? 0 : last + this.options.chatIntervalMs - now;
      const globalWait =
        this.recent.length >= this.options.maxPerMinute
          ? (this.recent[this.recent.length - this.options.maxPerMinute] as number) + MINUTE - now
          : 0;
      const wait = Math.max(chatWait, globalWait);
      if (wait <= 0) {
        this.book(chat, now);
        return;
      }
      await this.options.sleep(wait);
      if (!shouldContinue()) return;
    }
  }

  private book(chat: string, now: number): void {
    this.recent.push(now);
    // Re-inserted so the map stays ordered by last use, and old chats can be dropped from the front.
    this.lastByChat.delete(chat);
    this.lastByChat.set(chat, now);
    for (const [key, at] of this.lastByChat) {
      if (at > now - FORGET_AFTER) break;
      this.lastByChat.delete(key);
    }
  }
}
