import { EventEmitter } from 'node:events';
import { type PGlite, types } from '@electric-sql/pglite';

/** PGlite's answer to one statement, shaped like node-postgres' (all BullMQ reads). */
interface QueryResult<R = unknown> {
  rows: R[];
  rowCount: number;
}

/**
 * Keeps PGlite's values as node-postgres returns them: 64-bit integers and numerics as strings
 * (BullMQ's SQL layer was written against pg).
 */
export const PG_COMPATIBLE_PARSERS = {
  [types.INT8]: (value: string) => value,
  [types.NUMERIC]: (value: string) => value,
};

/** A FIFO lock: PGlite is one session, so one transaction at a time may hold it. */
class SessionLock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return acquired;
  }
}

async function run<R>(db: PGlite, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  if (!params || params.length === 0) {
    // Without parameters pg uses the simple protocol, which allows several statements (BullMQ's
    // migrations); PGlite's exec is the same thing.
    const results = await db.exec(text);
    const last = results.at(-1);
    return { rows: (last?.rows ?? []) as R[], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 };
  }
  const result = await db.query<R>(text, params as unknown[]);
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}

const LISTEN = /^\s*(UN)?LISTEN\s+(.+?)\s*;?\s*$/i;
const SQL_COMMENTS = /--[^\n]*|\/\*[\s\S]*?\*\//g;

/**
 * The channel of a (UN)LISTEN statement, or undefined for any other. BullMQ sends its LISTEN
 * from a command file that opens with comments: unrecognised, it ran on PGlite itself, whose
 * notifications then reached no one, and every worker slept its full drainDelay (5 s) before it
 * looked for a job queued or promoted meanwhile.
 */
export function listenStatement(text: string): { channel: string; stop: boolean } | undefined {
  if (!/listen/i.test(text)) return undefined;
  const match = LISTEN.exec(text.replace(SQL_COMMENTS, ''));
  return match ? { channel: match[2] as string, stop: Boolean(match[1]) } : undefined;
}
const BEGIN = /^\s*(BEGIN|START TRANSACTION)\b/i;
const END = /^\s*(COMMIT|ROLLBACK|END)\b/i;

/**
 * A client checked out of the pool. Outside a transaction each statement takes the session
 * lock for itself; from BEGIN to COMMIT/ROLLBACK the client keeps it, so no other client's
 * statement can land inside its transaction. LISTEN goes to PGlite's own notification API and
 * takes no lock, so BullMQ's long-lived listening client never blocks anyone.
 */
class PGlitePoolClient extends EventEmitter {
  private releaseLock: (() => void) | undefined;
  private readonly unlisteners = new Map<string, () => Promise<void>>();

  constructor(
    private readonly db: PGlite,
    private readonly lock: SessionLock,
  ) {
    super();
  }

  async query<R = unknown>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const listen = listenStatement(text);
    if (listen) return this.listen<R>(listen.channel, listen.stop);
    if (this.releaseLock) {
      try {
        return await run<R>(this.db, text, params);
      } finally {
        if (END.test(text)) this.unlock();
      }
    }
    const release = await this.lock.acquire();
    if (BEGIN.test(text)) {
      this.releaseLock = release;
      try {
        return await run<R>(this.db, text, params);
      } catch (error) {
        this.unlock();
        throw error;
      }
    }
    try {
      return await run<R>(this.db, text, params);
    } finally {
      release();
    }
  }

  release(): void {
    // A client handed back mid-transaction: roll it back before anyone else gets the session.
    if (this.releaseLock) {
      void this.db.exec('ROLLBACK').finally(() => this.unlock());
    }
    for (const unlisten of this.unlisteners.values()) void unlisten();
    this.unlisteners.clear();
  }

  private unlock(): void {
    const release = this.releaseLock;
    this.releaseLock = undefined;
    release?.();
  }

  private async listen<R>(channel: string, stop: boolean): Promise<QueryResult<R>> {
    if (stop) {
      if (channel === '*') {
        for (const unlisten of this.unlisteners.values()) await unlisten();
        this.unlisteners.clear();
      } else {
        await this.unlisteners.get(channel)?.();
        this.unlisteners.delete(channel);
      }
    } else if (!this.unlisteners.has(channel)) {
      const unlisten = await this.db.listen(channel, (payload) => {
        this.emit('notification', { channel: channel.replace(/^"|"$/g, ''), payload });
      });
      this.unlisteners.set(channel, unlisten);
    }
    return { rows: [], rowCount: 0 };
  }
}

/**
 * A node-postgres-shaped pool over an in-process PGlite, for BullMQ's PostgreSQL backend in the
 * embedded default. In-process rather than through a socket server: PGlite is a single session,
 * and a socket server interleaves its clients' extended-protocol messages (one client's Bind
 * replacing another's unnamed portal) — here every statement is one PGlite call and every
 * transaction holds the session lock from BEGIN to its end.
 */
export class PGlitePool extends EventEmitter {
  private readonly lock = new SessionLock();

  constructor(private readonly db: PGlite) {
    super();
  }

  async query<R = unknown>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const release = await this.lock.acquire();
    try {
      return await run<R>(this.db, text, params);
    } finally {
      release();
    }
  }

  async connect(): Promise<PGlitePoolClient> {
    return new PGlitePoolClient(this.db, this.lock);
  }

  async end(): Promise<void> {}
}
