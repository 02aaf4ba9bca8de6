import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryTemplate } from '../../src/storage/query-template.js';
import type { Database } from '../../src/storage/schema.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('query templates on %s', (dialect) => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    db = database.handle.db;
    await db
      .insertInto('contacts')
      .values([
        { display_name: 'أحمد', phone_e164: null, phone_verified: false, locale: 'ar' },
        { display_name: 'سارة', phone_e164: '+966551234567', phone_verified: true, locale: 'en' },
      ])
      .execute();
  });
  afterAll(async () => {
    await database.drop();
  });

  const byName = new QueryTemplate((qb: Kysely<Database>, v: { name: string }) =>
    qb
      .selectFrom('contacts')
      .select(['display_name', 'locale'])
      .where('display_name', '=', v.name)
      // A constant of the query itself stays a parameter of its own, the same on every run.
      .where('erased_at', 'is', null)
      .where('locale', 'in', ['ar', 'en']),
  );

  it('runs with each call’s own values, the constants kept', async () => {
    expect(await byName.execute(db, { name: 'أحمد' })).toEqual([{ display_name: 'أحمد', locale: 'ar' }]);
    expect(await byName.execute(db, { name: 'سارة' })).toEqual([{ display_name: 'سارة', locale: 'en' }]);
    expect(await byName.executeTakeFirst(db, { name: 'غير موجود' })).toBeUndefined();
  });

  it('works inside a transaction, seeing its uncommitted rows', async () => {
    await db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('contacts')
          .values({ display_name: 'خالد', phone_e164: null, phone_verified: false, locale: 'ar' })
          .execute();
        expect(await byName.execute(trx, { name: 'خالد' })).toHaveLength(1);
        throw new Error('undo');
      })
      .catch(() => undefined);
    expect(await byName.execute(db, { name: 'خالد' })).toEqual([]);
  });

  it('refuses a builder that read a value instead of passing it through', async () => {
    const peeking = new QueryTemplate((qb: Kysely<Database>, v: { name: string; locale: string }) =>
      qb
        .selectFrom('contacts')
        .select('display_name')
        .where('display_name', '=', v.name)
        .where('locale', '=', String(v.locale) === 'ar' ? 'ar' : 'en'),
    );
    await expect(peeking.execute(db, { name: 'أحمد', locale: 'ar' })).rejects.toThrow(/did not use: locale/);
  });
});
