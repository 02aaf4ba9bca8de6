import type { CompiledQuery, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { ConnectionStatements, type StatementNamer } from './statement-cache.js';

/** The mark andCommit puts at the end of a statement's text (an SQL comment, for other drivers). */
const AND_COMMIT = '\n-- and commit';

/**
 * Marks a statement as its transaction's last: on PostgreSQL the COMMIT goes with it (see
 * deferBegin). Nothing may run in the transaction after it; anything that tries fails.
 */
export function andCommit<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  return { ...query, sql: `${query.sql}${AND_COMMIT}` };
}

/**
 * Sends a transaction's BEGIN in the same write as its first statement.
 *
 * On a small machine where PostgreSQL runs beside the bot, each round trip costs more CPU (a
 * socket write and a wake-up on both sides) than the statement itself, and a turn of the inbox
 * is only a handful of statements: BEGIN on its own is a fifth of them. So when Kysely asks for
 * `begin`, nothing is sent yet; the next statement goes out as BEGIN + that statement in one
 * extended-protocol message sequence with a single Sync, and one answer comes back. Semantics
 * are unchanged: the statement runs inside the transaction, an error in it leaves the
 * transaction aborted for Kysely's ROLLBACK, and a transaction that ran nothing commits or
 * rolls back without a word to the server. Everything else (`start transaction isolation …`,
 * savepoints, plain queries) passes through untouched.
 *
 * The other end likewise: a statement marked with `andCommit` (the last of its transaction)
 * goes out with the COMMIT after it, in the same write, and the transaction's own COMMIT that
 * follows is answered here. Should the statement fail, the server skips the COMMIT (it ignores
 * everything up to the Sync after an error) and the transaction is left aborted, for Kysely's
 * ROLLBACK as before. A transaction whose only statement is so marked runs it on its own, with
 * neither BEGIN nor COMMIT on the wire. On PGlite the mark is an SQL comment and nothing else.
 *
 * With a `namer`, repeated statements also run as named prepared statements (statement-cache.ts).
 */
export function deferBegin(pool: pg.Pool, namer?: StatementNamer): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, DeferredBeginClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = new DeferredBeginClient(client, namer);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/** node-postgres's record of the statements a connection has parsed (not in its types). */
interface ParsedStatements {
  connection?: { parsedStatements?: Record<string, string> };
}

class DeferredBeginClient implements PostgresPoolClient {
  private beginPending = false;
  /** The transaction's COMMIT already went with its last statement. */
  private committed = false;
  /** This connection's prepared statements; none without a namer, or on an unknown client. */
  private readonly statements: ConnectionStatements | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    namer: StatementNamer | undefined,
  ) {
    const parsed = (client as unknown as ParsedStatements).connection?.parsedStatements;
    this.statements =
      namer && parsed ? new ConnectionStatements(namer, parsed, (sql) => client.query(sql)) : undefined;
  }

  // Kysely calls query(sql, parameters) only; cursors are not used with this pool.
  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query(..._: never[]): never;
  query<R>(sql: unknown, parameters?: unknown): Promise<PostgresQueryResult<R>> {
    const text = sql as string;
    const values = (parameters ?? []) as unknown[];
    if (text === 'begin') {
      this.beginPending = true;
      this.committed = false;
      return Promise.resolve(done<R>('BEGIN'));
    }
    if (this.beginPending || this.committed) {
      // Nothing ran (or the COMMIT went already): there is no transaction on the server to end.
      if (text === 'commit' || text === 'rollback') {
        this.beginPending = false;
        this.committed = false;
        return Promise.resolve(done<R>(text === 'commit' ? 'COMMIT' : 'ROLLBACK'));
      }
      if (this.committed)
        return Promise.reject(new Error('a statement after its transaction committed (andCommit)'));
    }
    if (text.endsWith(AND_COMMIT)) return this.runAndCommit<R>(text.slice(0, -AND_COMMIT.length), values);
    return this.run<R>(text, values);
  }

  /** The statement, then COMMIT in the same write; alone when it is the whole transaction. */
  private async runAndCommit<R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
    const alone = this.beginPending;
    this.beginPending = false;
    const result = await this.run<R>(text, values, alone ? undefined : 'commit');
    this.committed = true;
    return result;
  }

  private async run<R>(text: string, values: unknown[], after?: 'commit'): Promise<PostgresQueryResult<R>> {
    const name = await this.statements?.nameFor(text);
    try {
      if (this.beginPending || after) {
        const before = this.beginPending ? 'begin' : undefined;
        this.beginPending = false;
        return await new Promise((resolve, reject) => {
          this.client.query(
            new PipelinedQuery(text, values, name, { before, after }, (error, result) =>
              error ? reject(error) : resolve(result as unknown as PostgresQueryResult<R>),
            ) as unknown as pg.Submittable,
          );
        });
      }
      const result = name
        ? await this.client.query({ text, values, name })
        : await this.client.query(text, values);
      return result as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if (name) this.statements?.failed(error);
      throw error;
    }
  }

  release(error?: boolean | Error): void {
    this.beginPending = false;
    this.committed = false;
    this.client.release(error);
  }
}

function done<R>(command: string): PostgresQueryResult<R> {
  return { command: command as PostgresQueryResult<R>['command'], rowCount: 0, rows: [] };
}

/** The parts of node-postgres's connection and Query that the subclass below relies on. */
interface WireConnection {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number | undefined }): void;
  sync(): void;
}
interface PgQuery {
  prepare(connection: WireConnection): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
  /** Sends Execute and then Sync (with `rows` unset, as here): the end of prepare(). */
  _getRows(connection: WireConnection, rows: number | undefined): void;
}
type QueryCallback = (error: Error | null, result: pg.QueryResult) => void;
type PgQueryClass = new (config: {
  text: string;
  values: unknown[];
  name?: string;
  queryMode: 'extended';
  callback: QueryCallback;
}) => PgQuery;

const PgQueryBase = pg.Query as unknown as PgQueryClass;

/**
 * node-postgres's own Query, preceded on the wire by Parse/Bind/Execute of BEGIN, or followed by
 * those of COMMIT (no Sync in between, so one write and one ReadyForQuery). Only the caller's
 * statement's CommandComplete reaches the Query; BEGIN's and COMMIT's (which return no rows)
 * are not the caller's. An error anywhere fails the Query, as an error of its own would.
 */
class PipelinedQuery extends PgQueryBase {
  /** BEGIN's CommandComplete, which comes before the caller's, has come (or none is due). */
  private beginAnswered: boolean;
  private callerAnswered = false;

  constructor(
    text: string,
    values: unknown[],
    name: string | undefined,
    private readonly around: { before?: 'begin' | undefined; after?: 'commit' | undefined },
    callback: QueryCallback,
  ) {
    super({ text, values, queryMode: 'extended', callback, ...(name ? { name } : {}) });
    this.beginAnswered = !around.before;
  }

  override prepare(connection: WireConnection): void {
    if (this.around.before) this.simple(connection, 'begin');
    super.prepare(connection);
  }

  /** Parse/Bind/Execute of a parameterless statement, unnamed. */
  private simple(connection: WireConnection, text: string): void {
    connection.parse({ text, name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [] });
    connection.execute({ portal: '', rows: 0 });
  }

  override handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (!this.beginAnswered) {
      this.beginAnswered = true;
      return;
    }
    if (this.callerAnswered) return; // COMMIT's
    this.callerAnswered = true;
    super.handleCommandComplete(message, connection);
  }

  /** node-postgres ends prepare() with Execute and Sync: COMMIT goes in between. */
  override _getRows(connection: WireConnection, rows: number | undefined): void {
    if (!this.around.after || rows) {
      super._getRows(connection, rows);
      return;
    }
    connection.execute({ portal: '', rows });
    this.simple(connection, this.around.after);
    connection.sync();
  }
}
