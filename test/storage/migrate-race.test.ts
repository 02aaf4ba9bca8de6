import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { TEST_DATABASE_URL } from '../support/databases.js';

/**
 * Migrating while other schemas of the same database come and go (other apps, parallel test
 * suites): Kysely's own look-up of its bookkeeping tables describes every schema's tables and
 * fails when one vanishes meanwhile; ours reads names only (NamesOnlyIntrospector) and cannot.
 */
describe('migrations beside schemas being dropped (PostgreSQL)', { timeout: 60_000 }, () => {
  it('brings fresh schemas up to date while another client creates and drops schemas', async () => {
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    const prefix = `churn_${randomBytes(3).toString('hex')}`;
    let stop = false;
    let dropped = 0;
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        await churn.query(
          `create schema ${prefix}_${i}; create table ${prefix}_${i}.t (id serial primary key)`,
        );
        await churn.query(`drop schema ${prefix}_${i} cascade`);
        dropped++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const schemas: string[] = [];
    try {
      for (let round = 0; round < 8; round++) {
        const schema = `test_mig_${randomBytes(4).toString('hex')}`;
        schemas.push(schema);
        const handle = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema });
        await handle.close();
        // pg_tables, not Kysely's introspection: that lists every schema and would race too.
        const tables = await churn.query<{ tablename: string }>(
          'select tablename from pg_catalog.pg_tables where schemaname = $1',
          [schema],
        );
        expect(tables.rows.map((row) => row.tablename)).toEqual(
          expect.arrayContaining(['conversations', 'messages', 'kysely_migration']),
        );
      }
    } finally {
      stop = true;
      await churning;
      for (const schema of schemas) await churn.query(`drop schema if exists ${schema} cascade`);
      await churn.end();
    }
    expect(dropped).toBeGreaterThan(0);
  });
});
