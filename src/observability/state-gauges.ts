import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { ChannelHealth } from '../channels/health.js';
import type { Database } from '../storage/schema.js';
import type { BotMetrics } from './metrics.js';

/** Job states worth an alert: work piling up, or jobs that gave up. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Gauges read from the database and the queues when Prometheus scrapes, so every process of a
 * deployment reports the same shared truth (a counter in memory would only know its own
 * process). Each read is one small query on a partial index.
 */
export function registerStateGauges(
  metrics: BotMetrics,
  sources: { db: Kysely<Database>; queues?: readonly Queue[] },
): void {
  const { db } = sources;
  // Two gauges come from one read: a scrape collects every gauge at once, so they share it.
  let pending: ReturnType<typeof pendingByChannel> | undefined;
  const readPending = () =>
    (pending ??= pendingByChannel(db).finally(() => {
      pending = undefined;
    }));
  metrics.gauge({
    name: 'aiou_open_conversations',
    help: 'Open conversations by mode: with the bot, waiting for staff, with staff',
    labelNames: ['mode'],
    async collect(gauge) {
      const rows = await db
        .selectFrom('conversations')
        .select(['mode', (eb) => eb.fn.countAll<string>().as('count')])
        .where('mode', '<>', 'closed')
        .groupBy('mode')
        .execute();
      for (const mode of ['bot', 'waiting', 'staff']) gauge.set({ mode }, 0);
      for (const row of rows) gauge.set({ mode: row.mode }, Number(row.count));
    },
  });
  metrics.gauge({
    name: 'aiou_handoffs_over_sla',
    help: 'Beneficiaries still waiting for a first answer from staff after HANDOFF_SLA',
    labelNames: [],
    async collect(gauge) {
      const row = await db
        .selectFrom('escalations')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('status', '=', 'open')
        .where('sla_breached_at', 'is not', null)
        .where('first_response_at', 'is', null)
        .executeTakeFirst();
      gauge.set(Number(row?.count ?? 0));
    },
  });
  metrics.gauge({
    name: 'aiou_outbound_pending_messages',
    help: 'Replies stored but not yet delivered to their channel',
    labelNames: ['channel'],
    async collect(gauge) {
      for (const row of await readPending()) gauge.set({ channel: row.channel }, Number(row.count));
    },
  });
  metrics.gauge({
    name: 'aiou_outbound_oldest_pending_seconds',
    help: 'Age of the oldest undelivered reply, by channel (a channel down or a stuck delivery)',
    labelNames: ['channel'],
    async collect(gauge) {
      const now = Date.now();
      for (const row of await readPending())
        gauge.set({ channel: row.channel }, Math.max(0, (now - new Date(row.oldest).getTime()) / 1000));
    },
  });
  const queues = sources.queues ?? [];
  if (queues.length > 0) {
    metrics.gauge({
      name: 'aiou_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      async collect(gauge) {
        for (const queue of queues) {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }
}

/** Per channel: whether it is up (1) or not (0: starting, down, or off by configuration). */
export function registerChannelGauge(metrics: BotMetrics, health: ChannelHealth): void {
  metrics.gauge({
    name: 'aiou_channel_up',
    help: 'Whether each channel is connected (1) or not (0); the reason is on /healthz',
    labelNames: ['channel'],
    collect(gauge) {
      for (const [channel, status] of Object.entries(health.snapshot()))
        gauge.set({ channel }, status.state === 'up' ? 1 : 0);
    },
  });
}

function pendingByChannel(db: Kysely<Database>) {
  return db
    .selectFrom('messages')
    .select([
      'channel',
      (eb) => eb.fn.countAll<string>().as('count'),
      (eb) => eb.fn.min('created_at').as('oldest'),
    ])
    .where('direction', '=', 'out')
    .where('delivery_status', '=', 'pending')
    .groupBy('channel')
    .execute();
}
