import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { addStaffGuard } from '../http/guard.js';
import type { StaffDb } from '../storage/schema.js';

export const QUEUES_PATH = '/staff/queues';

/**
 * Bull Board's page ships inline styles (its loading screen) and cannot work under the strict
 * policy the rest of the site has; scripts stay 'self'-only.
 */
const BOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * Bull Board's page asks Google for its web font; staff pages make no third-party requests (the
 * policy above would block it anyway and log an error), so the link is dropped and the page
 * falls back to the system font.
 */
function withoutExternalFonts(html: string): string {
  return html.replace(/<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>/g, '');
}

export interface QueueBoardOptions {
  db: StaffDb;
  queues: readonly Queue[];
}

/**
 * Bull Board (the job queues: waiting, delayed, failed jobs; retry and clean) under
 * /staff/queues, for admins signed in to the console. Bull Board's own page cannot send the
 * console's CSRF header, so its state-changing calls must carry an Origin naming this server
 * (browsers always send one on such requests), on top of the SameSite=Strict session cookie.
 */
export async function queueBoardRoutes(app: FastifyInstance, options: QueueBoardOptions): Promise<void> {
  await app.register(async (board) => {
    await addStaffGuard(board, { db: options.db, defaultAccess: 'admin', csrf: 'same-origin' });
    board.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', BOARD_CSP);
      reply.header('cache-control', 'no-store');
      return typeof payload === 'string' ? withoutExternalFonts(payload) : payload;
    });
    const adapter = new FastifyAdapter();
    adapter.setBasePath(QUEUES_PATH);
    createBullBoard({
      queues: options.queues.map((queue) => new BullMQAdapter(queue)),
      serverAdapter: adapter,
    });
    await board.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
  });
}
