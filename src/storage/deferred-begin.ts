import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { ConnectionStatements, type StatementNamer } from './statement-cache.js';

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
      return Promise.resolve(done<R>('BEGIN'));
    }
    if (this.beginPending) {
      // Nothing ran: there is no transaction on the server to end.
      if (text === 'commit' || text === 'rollback') {
        this.beginPending = false;
        return Promise.resolve(done<R>(text === 'commit' ? 'COMMIT' : 'ROLLBACK'));
      }
    }
    return this.run<R>(text, values);
  }

  private async run<R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
    const name = await this.statements?.nameFor(text);
    try {
      if (this.beginPending) {
        this.beginPending = false;
        return await new Promise((resolve, reject) => {
          this.client.query(
            new QueryAfterBegin(text, values, name, (error, result) =>
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
  execute(config: { portal: string; rows: number }): void;
}
interface PgQuery {
  prepare(connection: WireConnection): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
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
 * node-postgres's own Query, preceded on the wire by Parse/Bind/Execute of BEGIN (no Sync in
 * between, so one write and one ReadyForQuery); BEGIN's CommandComplete is not the caller's.
 */
class QueryAfterBegin extends PgQueryBase {
  private beginAnswered = false;

  constructor(text: string, values: unknown[], name: string | undefined, callback: QueryCallback) {
    super({ text, values, queryMode: 'extended', callback, ...(name ? { name } : {}) });
  }

  override prepare(connection: WireConnection): void {
    connection.parse({ text: 'begin', name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [] });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }

  override handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (!this.beginAnswered) {
      this.beginAnswered = true;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}
