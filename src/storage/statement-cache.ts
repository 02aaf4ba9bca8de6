import { createHash } from 'node:crypto';

/**
 * Server-side prepared statements for the SQL the bot repeats, the way pgjdbc does it
 * (`prepareThreshold`, `preparedStatementCacheQueries`).
 *
 * Kysely sends every query as an unnamed statement, so PostgreSQL parses, analyses and plans it
 * again each time. For the inbox's few statements per message that is as much server CPU as
 * running them (measured: planning was half the time of the turn's first statement). A text
 * seen `threshold` times in this process gets a stable name instead; node-postgres then sends
 * Parse once per connection and only Bind/Execute afterwards, and PostgreSQL switches to a
 * cached generic plan after five runs when that plan is no worse (plan_cache_mode auto).
 *
 * Each connection keeps at most `capacity` statements, least recently used out first
 * (DEALLOCATE), so a long-lived process with many rare query shapes (the staff console's
 * filters) does not grow the server's memory without bound.
 */
export interface StatementCacheOptions {
  /** Uses of one SQL text in this process before it is prepared. */
  threshold?: number;
  /** Prepared statements kept per connection. */
  capacity?: number;
}

const DEFAULT_THRESHOLD = 3;
const DEFAULT_CAPACITY = 256;
/** Distinct texts remembered while counting uses; forgotten all at once when full. */
const MAX_COUNTED_TEXTS = 10_000;

/** Process-wide: which SQL texts have earned a name. */
export class StatementNamer {
  readonly capacity: number;
  /** Moves on when a statement went stale: every connection then drops what it prepared. */
  generation = 0;
  private readonly threshold: number;
  private readonly uses = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(options: StatementCacheOptions = {}) {
    this.threshold = Math.max(1, options.threshold ?? DEFAULT_THRESHOLD);
    this.capacity = Math.max(1, options.capacity ?? DEFAULT_CAPACITY);
  }

  /** The statement's name once its text has been used often enough; undefined until then. */
  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known) return known;
    const count = (this.uses.get(text) ?? 0) + 1;
    if (count < this.threshold) {
      if (this.uses.size >= MAX_COUNTED_TEXTS) this.uses.clear();
      this.uses.set(text, count);
      return undefined;
    }
    this.uses.delete(text);
    // A digest of the text: the same statement has the same name on every connection, and
    // different texts never share one (node-postgres refuses a name reused for other SQL).
    const name = `aiou_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (this.names.size >= MAX_COUNTED_TEXTS) this.names.clear();
    this.names.set(text, name);
    return name;
  }

  /** A prepared statement no longer fits the schema: every connection starts afresh. */
  invalidate(): void {
    this.generation++;
  }
}

/** Transaction control is never named: Kysely sends these texts on every transaction. */
const TRANSACTION_CONTROL = new Set(['begin', 'commit', 'rollback']);

/**
 * One connection's prepared statements, most recently used last. `parsed` is node-postgres's own
 * record of what the connection has parsed (it skips Parse for a name found there), kept in step
 * with what is deallocated; `send` runs a statement of the cache's own on the connection.
 */
export class ConnectionStatements {
  private readonly recent = new Map<string, true>();
  /** The namer's generation these statements belong to (see StatementNamer.invalidate). */
  private generation: number;

  constructor(
    private readonly namer: StatementNamer,
    private readonly parsed: Record<string, string>,
    private readonly send: (sql: string) => Promise<unknown>,
  ) {
    this.generation = namer.generation;
  }

  /** The name to run `text` under, if it has earned one; makes room on the connection first. */
  async nameFor(text: string): Promise<string | undefined> {
    if (TRANSACTION_CONTROL.has(text)) return undefined;
    const name = this.namer.nameFor(text);
    if (!name) return undefined;
    if (this.generation !== this.namer.generation) await this.dropAll();
    const evicted = this.use(name);
    if (evicted && this.parsed[evicted] !== undefined) {
      await this.send(`deallocate "${evicted}"`);
      delete this.parsed[evicted];
    }
    return name;
  }

  /** A named statement failed: a stale one makes every connection drop theirs. */
  failed(error: unknown): void {
    if (isStalePreparedStatement(error)) this.namer.invalidate();
  }

  /**
   * Some connection found a statement stale (a migration changed a table): all of them drop
   * theirs. DEALLOCATE is not transactional, and is refused only inside a failed transaction,
   * which Kysely always rolls back before the connection runs anything else.
   */
  private async dropAll(): Promise<void> {
    if (Object.keys(this.parsed).length > 0) await this.send('deallocate all');
    for (const key of Object.keys(this.parsed)) delete this.parsed[key];
    this.recent.clear();
    this.generation = this.namer.generation;
  }

  /** Marks `name` as used now; returns the statement to deallocate to make room, if any. */
  private use(name: string): string | undefined {
    const known = this.recent.delete(name);
    this.recent.set(name, true);
    if (known || this.recent.size <= this.namer.capacity) return undefined;
    const oldest = this.recent.keys().next().value as string;
    this.recent.delete(oldest);
    return oldest;
  }
}

interface PgError {
  code?: unknown;
  message?: unknown;
}

/**
 * A prepared statement that no longer fits the schema (a migration changed a table under a
 * `select *`), or that the server no longer has (someone ran DISCARD ALL): the connection's
 * statements are dropped and the work can simply be run again.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as PgError;
  if (code === '26000') return true; // invalid_sql_statement_name
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change');
}
