import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { loadFlows } from './engine/flow-loader.js';
import { MessageCatalog } from './engine/i18n.js';
import { IntentMatcher } from './engine/matcher.js';
import { ConversationEngine } from './engine/runtime.js';
import { type ControlEffects, ConversationControl } from './inbox/conversation-control.js';
import type { EventDependencies } from './inbox/conversation-events.js';
import { Inbox, type InboxResult } from './inbox/inbox.js';
import { type JobBackend, type JobBackendOptions, openJobBackend } from './jobs/backend.js';
import { FollowUpPolicy } from './jobs/follow-up-policy.js';
import { FollowUpQueue } from './jobs/follow-up-queue.js';
import { FollowUpRunner } from './jobs/follow-up-runner.js';
import { RetentionSweep } from './jobs/retention.js';
import type { Logger } from './logger.js';
import { BotMetrics } from './observability/metrics.js';
import { registerStateGauges } from './observability/state-gauges.js';
import { OutboundDispatcher } from './outbound/dispatcher.js';
import { OutboundQueue } from './outbound/outbound-queue.js';
import { type DatabaseHandle, openDatabase } from './storage/database.js';
import type { ChannelName } from './storage/schema.js';

/** How often the data-retention sweep looks for beneficiaries due for erasure (DATA_RETENTION). */
const RETENTION_INTERVAL_MS = 6 * 3_600_000;

/** The queues: outbound delivery and follow-ups, on one BullMQ backend. */
export interface BotJobs {
  backend: JobBackend;
  dispatcher: OutboundDispatcher;
  outbound: OutboundQueue;
  followUps: FollowUpQueue;
  /** Starts the workers, re-queues what a previous run left, and sweeps periodically. */
  start(): Promise<void>;
  /** Stops taking work and waits for jobs in flight. */
  stop(): Promise<void>;
}

export interface Bot {
  config: Config;
  database: DatabaseHandle;
  engine: ConversationEngine;
  catalog: MessageCatalog;
  inbox: Inbox;
  /** What staff do to conversations and requests. */
  control: ConversationControl;
  policy: FollowUpPolicy;
  clock: Clock;
  /** Counters and gauges for GET /metrics (Prometheus). */
  metrics: BotMetrics;
  /** Present when the bot was given a job backend. */
  jobs?: BotJobs;
  close(): Promise<void>;
}

export interface CreateBotOptions {
  config: Config;
  logger: Logger;
  /** Override the PGlite folder (the simulator uses `memory://`). */
  dataDir?: string;
  /** PostgreSQL schema to work in (tests). */
  schema?: string;
  inlineDelivery?: ReadonlySet<ChannelName>;
  /** An already open database (tests); the bot then leaves closing it to the caller. */
  database?: DatabaseHandle;
  /** The simulator's clock; the system clock otherwise. */
  clock?: Clock;
  /** Opens the queues on this backend (see openJobBackend); without it, nothing is queued. */
  jobs?: JobBackendOptions;
  /** How often the outbound sweep looks for undelivered messages. */
  sweepIntervalMs?: number;
  /** How long a crashed deliverer keeps a conversation's messages waiting (default 60 s; tests shorten it). */
  deliveryLeaseMs?: number;
}

/** Builds the engine and its storage from configuration: flows, locales, database, inbox, queues. */
export async function createBot(options: CreateBotOptions): Promise<Bot> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const [flows, catalog] = await Promise.all([
    loadFlows(config.FLOWS_DIR),
    MessageCatalog.load(config.LOCALES_DIR),
  ]);
  const engine = new ConversationEngine({
    flows,
    catalog,
    matcher: new IntentMatcher(flows),
    handoffAckIntervalMs: config.HANDOFF_ACK_INTERVAL,
    globals: {
      has_contact_details: config.CONTACT_DETAILS ? 'yes' : 'no',
      contact_details: config.CONTACT_DETAILS ?? '',
    },
  });
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      dataDir: options.dataDir ?? config.DATA_DIR,
      ...(options.schema ? { schema: options.schema } : {}),
    }));
  const db = database.db;
  const policy = new FollowUpPolicy({
    intakeReminderAfterMs: config.INTAKE_REMINDER_AFTER,
    intakeExpiresAfterMs: config.INTAKE_EXPIRES_AFTER,
    reviewNoticeAfterMs: config.REVIEW_NOTICE_AFTER,
    ratingAfterMs: config.RATING_AFTER,
    handoffSlaMs: config.HANDOFF_SLA,
    workingHours: config.WORKING_HOURS,
  });
  const throttle = { maxFailures: config.LOOKUP_MAX_FAILURES, blockMs: config.LOOKUP_BLOCK };
  const eventDeps = { engine, catalog, throttle, defaultLocale: config.DEFAULT_LOCALE };

  const metrics = new BotMetrics();
  const jobs = options.jobs
    ? await createJobs({
        ...options,
        jobs: options.jobs,
        db,
        databaseIsServer: database.kind === 'postgres',
        eventDeps,
        policy,
        clock,
        metrics,
      })
    : undefined;
  registerStateGauges(metrics, {
    db,
    ...(jobs ? { queues: [jobs.outbound.queue, jobs.followUps.queue] } : {}),
  });

  const inbox = new Inbox({
    db,
    engine,
    catalog,
    logger,
    throttle,
    defaultLocale: config.DEFAULT_LOCALE,
    inlineDelivery: options.inlineDelivery ?? new Set<ChannelName>(['web']),
    followUps: policy,
    workingHours: config.WORKING_HOURS,
    metrics,
    databaseIsServer: database.kind === 'postgres',
    afterCommit: jobs
      ? async (result: InboxResult) => {
          await jobs.followUps.enqueue(result.followUps);
          if (result.pendingDelivery) {
            await jobs.outbound.deliverConversation(
              result.conversationId,
              result.inboundId,
              result.replies.map((reply) => reply.id),
            );
          }
        }
      : undefined,
  });
  const control = new ConversationControl({
    ...eventDeps,
    db,
    logger,
    policy,
    clock,
    followUps: undefined,
    afterCommit: jobs
      ? async (effects: ControlEffects) => {
          await jobs.followUps.enqueue(effects.followUps);
          if (effects.conversationId) {
            await jobs.outbound.deliverConversation(effects.conversationId, effects.batchKey);
          }
        }
      : undefined,
  });

  const close = async () => {
    await jobs?.stop();
    await jobs?.backend.close();
    if (!options.database) await database.close();
  };
  return {
    config,
    database,
    engine,
    catalog,
    inbox,
    control,
    policy,
    clock,
    metrics,
    ...(jobs ? { jobs } : {}),
    close,
  };
}

async function createJobs(options: {
  config: Config;
  logger: Logger;
  jobs: JobBackendOptions;
  db: DatabaseHandle['db'];
  /** The database is a server (not PGlite): see StatementBatcherOptions.overlap. */
  databaseIsServer: boolean;
  eventDeps: EventDependencies;
  policy: FollowUpPolicy;
  clock: Clock;
  metrics: BotMetrics;
  sweepIntervalMs?: number;
  /** How long a crashed deliverer keeps a conversation's messages waiting (default 60 s; tests shorten it). */
  deliveryLeaseMs?: number;
}): Promise<BotJobs> {
  const { config, logger, db, clock } = options;
  const backend = await openJobBackend(options.jobs);
  const dispatcher = new OutboundDispatcher({
    db,
    logger: logger.child({ component: 'outbound' }),
    metrics: options.metrics,
    ...(options.deliveryLeaseMs ? { leaseMs: options.deliveryLeaseMs } : {}),
  });
  const outbound = new OutboundQueue({
    db,
    jobs: backend,
    dispatcher,
    logger: logger.child({ component: 'outbound' }),
    concurrency: config.DELIVERY_CONCURRENCY,
  });
  const runner = new FollowUpRunner({
    ...options.eventDeps,
    db,
    policy: options.policy,
    clock,
    logger: logger.child({ component: 'follow-ups' }),
    databaseIsServer: options.databaseIsServer,
  });
  const followUps = new FollowUpQueue({
    db,
    jobs: backend,
    runner,
    clock,
    logger: logger.child({ component: 'follow-ups' }),
    deliver: (conversationId, channel, batchKey, messageIds) =>
      outbound.deliverFromRunningJob(conversationId, channel, batchKey, messageIds),
  });
  const retention = config.DATA_RETENTION
    ? new RetentionSweep({
        db,
        clock,
        logger: logger.child({ component: 'retention' }),
        retentionMs: config.DATA_RETENTION,
      })
    : undefined;
  return {
    backend,
    dispatcher,
    outbound,
    followUps,
    async start() {
      outbound.start();
      followUps.start(config.FOLLOW_UP_CONCURRENCY);
      await followUps.resync();
      await outbound.sweep();
      outbound.startSweeping(options.sweepIntervalMs ?? 30_000);
      retention?.start(RETENTION_INTERVAL_MS);
    },
    async stop() {
      await Promise.all([outbound.stop(), followUps.stop(), retention?.stop()]);
    },
  };
}
