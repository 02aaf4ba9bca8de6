/** Most items written by one statement. */
const DEFAULT_MAX_BATCH = 256;
/** Statements running at once; items asked for meanwhile go together in the next one. */
const DEFAULT_MAX_IN_FLIGHT = 2;

export interface StatementBatcherOptions<Item> {
  maxBatch?: number;
  maxInFlight?: number;
  /**
   * Items with the same key never go in one statement (one that upserts a row per key cannot
   * touch a row twice): a second one waits for the next statement.
   */
  keyOf?: (item: Item) => string;
  /**
   * Whether a statement waits one turn of the event loop before it starts, so that callers that
   * become ready at the same moment (delivery passes resuming from their sends) join it. Without
   * it (the default) nothing waits on purpose: with fewer than `maxInFlight` statements running an
   * item goes at once, and only the busier database makes items share statements.
   */
  gatherOneTurn?: boolean;
  /**
   * The database is a server in another process: a statement that ends starts the next before
   * its own callers resume, which happens on the next turn of the event loop (see run). Not for
   * PGlite, which runs statements on this very thread: there nothing can overlap, and the
   * callers resumed later only made the next statements smaller (half the throughput measured).
   */
  overlap?: boolean;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: for the inbox's one-statement turns and the outbound dispatcher's leases and
 * delivery records. Every caller still waits for its own item's statement to be committed,
 * exactly as with a statement of its own; but items asked for while the database is busy with
 * earlier ones go together in the next statement, so the database (and this process) pay for
 * one round trip and one commit per statement rather than per item, which is what limits
 * delivery rate.
 *
 * By default two statements may run at once (on separate connections): for the dispatcher,
 * whose passes each wait on their own record, one at a time made every delivery wait for the
 * slowest. The inbox's turns go one at a time, with `overlap` on PostgreSQL (see TurnBatcher).
 *
 * `write` gets the items of one statement and returns one result per item, in their order; if
 * it throws, every caller of that statement gets the error.
 */
export class StatementBatcher<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly options: StatementBatcherOptions<Item> = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (!this.options.gatherOneTurn) {
      this.startStatements();
      return;
    }
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.nextBatch();
      this.inFlight++;
      void this.run(batch);
    }
  }

  /** The oldest waiting items, at most maxBatch and (with keyOf) one per key; the rest stay. */
  private nextBatch(): Waiting<Item, Result>[] {
    const { keyOf } = this.options;
    if (!keyOf) return this.waiting.splice(0, this.maxBatch);
    const batch: Waiting<Item, Result>[] = [];
    const rest: Waiting<Item, Result>[] = [];
    const keys = new Set<string>();
    for (const waiting of this.waiting) {
      const key = keyOf(waiting.item);
      if (batch.length >= this.maxBatch || keys.has(key)) rest.push(waiting);
      else {
        keys.add(key);
        batch.push(waiting);
      }
    }
    this.waiting = rest;
    return batch;
  }

  /**
   * Runs one statement and resumes its callers. With `overlap`, it starts the next statement
   * first and resumes them on the next turn of the event loop. Their continuations are the busy
   * part of this process (a turn's replies sent, the next messages taken in, the engine run for
   * them); resumed first, they kept the next statement, its items long ready, off the wire until
   * all of that was done, so the database idled while this process worked and then the other
   * way round. With overlap the database runs statement n+1 while this process handles
   * statement n's answers.
   */
  private async run(batch: Waiting<Item, Result>[]): Promise<void> {
    let resume: () => void;
    try {
      const results = await this.write(batch.map((waiting) => waiting.item));
      resume = () => {
        for (const [index, { resolve }] of batch.entries()) resolve(results[index] as Result);
      };
    } catch (error) {
      resume = () => {
        for (const { reject } of batch) reject(error);
      };
    }
    if (this.options.overlap) {
      this.inFlight--;
      this.startStatements();
      setImmediate(resume);
    } else {
      resume();
      // After the callers' first steps: what they ask for at once waits to join the next one.
      queueMicrotask(() => {
        this.inFlight--;
        this.startStatements();
      });
    }
  }
}
