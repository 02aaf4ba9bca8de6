import type { FastifyInstance } from 'fastify';
import { findSession } from '../auth/sessions.js';
import type { StaffContext } from '../context.js';
import type { InboxEvent } from '../events/inbox-events.js';
import { sessionOf } from '../http/guard.js';

/** A comment line every so often keeps proxies from closing an idle stream. */
const PING_INTERVAL_MS = 15_000;

export interface EventStreams {
  /** Ends every open stream (the server is shutting down). */
  endAll(): void;
}

/**
 * `GET /events`: server-sent events. `inbox` events carry `{ conversationId, mode, assignedTo,
 * slaBreachedAt, at }`; the console reloads what it shows. The session is checked again at every
 * ping, so a stream does not outlive a logout or a disabled account by more than one interval.
 */
export function eventRoutes(app: FastifyInstance, ctx: StaffContext): EventStreams {
  const open = new Set<() => void>();

  app.get('/events', async (request, reply) => {
    const session = sessionOf(request);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');

    const send = (event: InboxEvent) => raw.write(`event: inbox\ndata: ${JSON.stringify(event)}\n\n`);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      unsubscribe();
      open.delete(end);
      raw.end();
    };
    const unsubscribe = ctx.events.subscribe(send);
    const ping = setInterval(() => {
      findSession(ctx.db, session.token)
        .then((still) => (still ? raw.write(': ping\n\n') : end()))
        .catch(() => end());
    }, PING_INTERVAL_MS);
    ping.unref();
    open.add(end);
    request.raw.on('close', end);
  });

  return {
    endAll: () => {
      for (const end of [...open]) end();
    },
  };
}
