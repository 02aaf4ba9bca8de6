import { sql } from 'kysely';
import type { ConversationMode } from '../../engine/actions.js';
import { type Logger, safeError } from '../../logger.js';
import type { StaffDb } from '../storage/schema.js';

export interface InboxEvent {
  conversationId: string;
  mode: ConversationMode;
  assignedTo: { id: string; name: string } | null;
  /** When the open escalation passed HANDOFF_SLA (see the inbox's `slaBreachedAt`), or null. */
  slaBreachedAt: string | null;
  at: string;
}

export type InboxListener = (event: InboxEvent) => void;

export interface InboxEventsOptions {
  db: StaffDb;
  logger: Logger;
  /** How often to look for changes. */
  intervalMs?: number;
  /**
   * How far back each look reaches past the previous one. A turn stamps its rows when it starts
   * and commits a little later, and several processes' clocks write the stamps; re-reading a
   * window and remembering what was already announced catches those without repeating them.
   */
  overlapMs?: number;
}

interface Change {
  id: string;
  mode: ConversationMode;
  assigned_to: string | null;
  name: string | null;
  sla_breached_at: string | null;
  at: string;
}

/**
 * Live inbox changes for the console's event stream. Changes are found by polling the database
 * (conversations touched since the last look, and staff replies delivered since), not by
 * in-process notifications: that sees the work of every process — inbox workers, the delivery
 * queue, other web servers — and works on PGlite as on PostgreSQL. It polls only while someone
 * listens.
 */
export class InboxEvents {
  private readonly listeners = new Set<InboxListener>();
  private readonly announced = new Map<string, { signature: string; at: number }>();
  private readonly intervalMs: number;
  private readonly overlapMs: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** Bumped when polling stops, so a poll still in flight then is discarded. */
  private generation = 0;
  private since: Date | undefined;
  private closed = false;

  constructor(private readonly options: InboxEventsOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.overlapMs = options.overlapMs ?? 10_000;
  }

  /** Calls `listener` for every change from now on; returns the function that stops it. */
  subscribe(listener: InboxListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && !this.closed) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.generation += 1;
    // The next listener starts afresh: what happened while nobody listened is in the inbox list.
    this.since = undefined;
    this.announced.clear();
  }

  /** One poll at a time: a new listener arriving during a poll does not start a second loop. */
  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.ticking) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.ticking = true;
    const generation = this.generation;
    try {
      const priming = this.since === undefined;
      const { now, changes } = await this.poll(this.since);
      if (generation !== this.generation || this.listeners.size === 0) return;
      for (const change of changes) {
        const signature = `${change.mode}|${change.assigned_to ?? ''}|${change.sla_breached_at ?? ''}|${change.at}`;
        if (this.announced.get(change.id)?.signature === signature) continue;
        this.announced.set(change.id, { signature, at: Date.parse(change.at) });
        if (priming) continue;
        const event: InboxEvent = {
          conversationId: change.id,
          mode: change.mode,
          assignedTo: change.assigned_to ? { id: change.assigned_to, name: change.name ?? '' } : null,
          slaBreachedAt: change.sla_breached_at ? new Date(change.sla_breached_at).toISOString() : null,
          at: new Date(change.at).toISOString(),
        };
        for (const listener of this.listeners) listener(event);
      }
      this.since = new Date(now.getTime() - this.overlapMs);
      const since = this.since.getTime();
      for (const [id, entry] of this.announced) if (entry.at < since) this.announced.delete(id);
    } catch (error) {
      this.options.logger.warn({ err: safeError(error) }, 'inbox events: polling failed; retrying');
    } finally {
      this.ticking = false;
      if (this.listeners.size > 0 && !this.closed) this.schedule(this.intervalMs);
    }
  }

  /**
   * One round trip: the database's clock, and what changed after `since` (all recent rows at
   * first). A conversation passing HANDOFF_SLA is among them: the follow-up that marks its
   * escalation also stores the beneficiary's message, which moves the conversation's stamps.
   */
  private async poll(since: Date | undefined): Promise<{ now: Date; changes: Change[] }> {
    const after = since ?? sql<Date>`statement_timestamp() - make_interval(secs => ${this.overlapMs / 1000})`;
    const { rows } = await sql<{ now: Date; changes: Change[] }>`
      select statement_timestamp() as now, coalesce((
        select jsonb_agg(jsonb_build_object(
          'id', c.id, 'mode', c.mode, 'assigned_to', c.assigned_to, 'name', sa.name,
          'sla_breached_at', e.sla_breached_at, 'at', changed.at))
        from (
          select conversation_id, max(at) as at from (
            select id as conversation_id, greatest(updated_at, last_message_at) as at
              from conversations where updated_at > ${after} or last_message_at > ${after}
            union all
            select conversation_id, sent_at from messages where sender = 'staff' and sent_at > ${after}
          ) touched group by conversation_id
        ) changed
        join conversations c on c.id = changed.conversation_id
        left join staff_accounts sa on sa.id::text = c.assigned_to
        left join escalations e on e.conversation_id = c.id and e.status = 'open'
      ), '[]'::jsonb) as changes`.execute(this.options.db);
    const row = rows[0];
    if (!row) throw new Error('inbox events: the poll returned no row');
    return { now: new Date(row.now), changes: row.changes };
  }
}
