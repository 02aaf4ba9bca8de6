import type { DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';

/**
 * PGlite is one PostgreSQL session in this process. kysely-pglite's driver hands that session to
 * every caller at once, so two transactions would interleave their statements. This wrapper lets
 * one caller hold the connection at a time: a transaction keeps it from BEGIN to COMMIT, which is
 * what PostgreSQL's pool gives us for free.
 */
export class SerializedDriver implements Driver {
  private tail: Promise<void> = Promise.resolve();
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    const connection = new AffectedRowsConnection(await this.inner.acquireConnection());
    this.releases.set(connection, release);
    return connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.releases.get(connection);
    this.releases.delete(connection);
    try {
      await this.inner.releaseConnection((connection as AffectedRowsConnection).inner);
    } finally {
      release?.();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction((connection as AffectedRowsConnection).inner, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction((connection as AffectedRowsConnection).inner);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction((connection as AffectedRowsConnection).inner);
  }

  async destroy(): Promise<void> {
    await this.tail;
    await this.inner.destroy();
  }
}

/** PGlite reports `affectedRows`; Kysely reads `numAffectedRows` (as pg's driver gives it). */
class AffectedRowsConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: Parameters<DatabaseConnection['executeQuery']>[0]): Promise<QueryResult<R>> {
    const result = (await this.inner.executeQuery<R>(query)) as QueryResult<R> & { affectedRows?: number };
    if (result.numAffectedRows === undefined && typeof result.affectedRows === 'number') {
      return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) };
    }
    return result;
  }

  streamQuery<R>(query: Parameters<DatabaseConnection['streamQuery']>[0], chunkSize?: number) {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}
