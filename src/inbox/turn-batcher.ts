import type { Kysely } from 'kysely';
import {
  saveTurnsAtVersion,
  type VersionedTurn,
  type VersionedTurnResult,
} from '../storage/repositories/versioned-turn.js';
import type { Database } from '../storage/schema.js';

export interface TurnBatcherOptions {
  /** Statements running at once; turns arriving meanwhile wait and go together in the next. */
  maxInFlight?: number;
  /** Turns in one statement at most. */
  maxBatch?: number;
}

const DEFAULT_MAX_IN_FLIGHT = 2;
const DEFAULT_MAX_BATCH = 64;

interface Waiting {
  turn: VersionedTurn;
  resolve: (result: VersionedTurnResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one-statement turns: turns that become ready while the database is busy with
 * earlier ones are written together, in one statement (saveTurnsAtVersion), instead of one
 * statement, one round trip and one commit each. Nothing waits on purpose: with fewer than
 * `maxInFlight` statements running a turn goes at once, so a quiet bot answers as fast as
 * before, and the busier it is the more turns share each statement.
 *
 * Two turns of one conversation never share a statement: the later one waits for the next, where
 * it finds the version moved on by the earlier one and does not apply (its caller locks
 * instead), so one person's messages are still taken in order.
 *
 * A statement that fails fails all its turns (nothing of it stays); each caller then takes the
 * locking path on its own, where a bad turn is reported without holding back the others.
 */
export class TurnBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(
    private readonly db: Kysely<Database>,
    options: TurnBatcherOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  save(turn: VersionedTurn): Promise<VersionedTurnResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ turn, resolve, reject });
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.startStatements();
      });
    }
  }

  /** The longest-waiting turns, at most one per conversation; the rest keep their places. */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const conversations = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < this.maxBatch; ) {
      const entry = this.waiting[i] as Waiting;
      if (conversations.has(entry.turn.conversationId)) {
        i++;
        continue;
      }
      conversations.add(entry.turn.conversationId);
      batch.push(entry);
      this.waiting.splice(i, 1);
    }
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const results = await saveTurnsAtVersion(
        this.db,
        batch.map((entry) => entry.turn),
      );
      for (const [i, entry] of batch.entries()) entry.resolve(results[i] as VersionedTurnResult);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
