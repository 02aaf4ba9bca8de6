import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelSendError } from '../../src/channels/send-error.js';
import type { ChannelAdapter, DeliveryCheck, OutboundMessage } from '../../src/channels/types.js';

/** What the stand-in channel's server received: one entry per HTTP request, duplicates included. */
export interface Receipt {
  id: string;
  conversationId: string;
  externalUserId: string;
  text: string;
  at: number;
}

/**
 * How the server answers one request: accept it, refuse it with a status (and a Retry-After in
 * seconds), or never answer (the sender dies or times out with the message accepted).
 */
export type Answer = { status: 200 } | { status: number; retryAfterSeconds?: number } | 'hang';

/**
 * A messaging platform's send endpoint, over real HTTP, that honours an idempotency key the way
 * payment and messaging APIs do: a message id it has already accepted is acknowledged again but
 * not shown twice. `delivered` is what the beneficiary sees, in the order first accepted;
 * `receipts` is every request, so a test can see the retries too.
 */
export class StandInChannelServer {
  readonly receipts: Receipt[] = [];
  readonly delivered: Receipt[] = [];
  private readonly accepted = new Set<string>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;

  /**
   * Decides each request's answer (accept by default). Called with the receipt already recorded
   * as accepted when the answer is 200 or 'hang' — a hang models a platform that took the
   * message while its sender died before hearing back.
   */
  answer: (receipt: Receipt, attempt: number) => Answer = () => ({ status: 200 });
  /** Milliseconds each request takes, as a real platform's round trip does. */
  latencyMs = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/send`;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Deliveries to one beneficiary, in the order the channel first accepted them. */
  to(externalUserId: string): Receipt[] {
    return this.delivered.filter((receipt) => receipt.externalUserId === externalUserId);
  }

  /** How many requests carried this message id. */
  attemptsOf(id: string): number {
    return this.receipts.filter((receipt) => receipt.id === id).length;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // GET /history?user=…: what this person was shown, with the sender's ids (as platforms that
    // echo a client reference do).
    if (request.method === 'GET') {
      const user = new URL(request.url ?? '/', 'http://stand-in').searchParams.get('user') ?? '';
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(this.to(user).map((receipt) => receipt.id)));
      return;
    }
    let body = '';
    for await (const chunk of request) body += chunk;
    const message = JSON.parse(body) as Omit<Receipt, 'at' | 'id'>;
    const id = String(request.headers['idempotency-key']);
    const receipt: Receipt = { ...message, id, at: Date.now() };
    this.receipts.push(receipt);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const answer = this.answer(receipt, this.attemptsOf(id));
    if (answer === 'hang' || answer.status === 200) {
      if (!this.accepted.has(id)) {
        this.accepted.add(id);
        this.delivered.push(receipt);
      }
    }
    if (answer === 'hang') {
      this.hanging.add(response);
      return;
    }
    if (answer.status === 200) {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ('retryAfterSeconds' in answer && answer.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(answer.retryAfterSeconds);
    }
    response.writeHead(answer.status, headers).end('{"ok":false}');
  }
}

/**
 * The bot's side of the stand-in platform: a channel adapter that sends each message over HTTP
 * with its stored id as the idempotency key, and reads refusals the way the real adapters do
 * (429 → wait for Retry-After, 5xx → transient, other 4xx → permanent).
 */
export class StandInChannelAdapter implements ChannelAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = { buttons: true, maxButtons: 10, maxTextLength: 4096 };

  /** With `readsHistory`, it can also tell whether a message already reached the person. */
  constructor(
    private readonly url: string,
    options: { readsHistory?: boolean } = {},
  ) {
    if (!options.readsHistory) this.wasDelivered = undefined;
  }

  wasDelivered?: (message: OutboundMessage, context: DeliveryCheck) => Promise<boolean> = async (message) => {
    const history = new URL(this.url);
    history.searchParams.set('user', message.externalUserId);
    const response = await fetch(history, { signal: AbortSignal.timeout(5000) });
    return ((await response.json()) as string[]).includes(message.id);
  };

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(message: OutboundMessage): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.id },
        body: JSON.stringify({
          conversationId: message.conversationId,
          externalUserId: message.externalUserId,
          text: message.text,
        }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      throw new ChannelSendError('transient', `transport failure (${(error as Error).name})`);
    }
    if (response.ok) return;
    const code = response.status;
    if (code === 429) {
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      throw new ChannelSendError('rate_limited', 'too many requests', { code, retryAfterMs: seconds * 1000 });
    }
    if (code >= 500) throw new ChannelSendError('transient', `server error ${code}`, { code });
    throw new ChannelSendError('permanent', `refused with ${code}`, { code });
  }
}
