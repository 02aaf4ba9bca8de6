import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Stands in for one named value while a template is compiled. */
class Slot {
  constructor(readonly name: string) {}
}

type Filled<P> = { readonly name: keyof P & string } | { readonly value: unknown };

/**
 * A hot query built and compiled by Kysely once, then run with new values each time.
 *
 * Kysely rebuilds and recompiles its immutable query tree on every call; for the inbox's few
 * statements per message that was the largest share of the bot's own CPU after the engine
 * (measured with bench:engine's CPU profile). The builder receives placeholders instead of the
 * values and must use each only as a value (not look at it, branch on it or spread it), so
 * the SQL text is the same for every run; the compiled parameters are filled in by name.
 * Both dialects compile PostgreSQL SQL, so one compilation serves PGlite and PostgreSQL.
 */
export class QueryTemplate<P extends Record<string, unknown>, R> {
  private compiled: { sql: string; parameters: Filled<P>[] } | undefined;

  constructor(private readonly build: (db: Kysely<Database>, values: P) => Compilable<R>) {}

  async execute(db: Kysely<Database>, values: P): Promise<R[]> {
    this.compiled ??= this.compile(db, values);
    const parameters = this.compiled.parameters.map((slot) =>
      'name' in slot ? values[slot.name] : slot.value,
    );
    const result = await db.executeQuery<R>(CompiledQuery.raw(this.compiled.sql, parameters));
    return result.rows;
  }

  async executeTakeFirst(db: Kysely<Database>, values: P): Promise<R | undefined> {
    return (await this.execute(db, values))[0];
  }

  private compile(db: Kysely<Database>, sample: P): { sql: string; parameters: Filled<P>[] } {
    const slots = Object.fromEntries(
      Object.keys(sample).map((name) => [name, new Slot(name)]),
    ) as unknown as P;
    const query = this.build(db, slots).compile();
    const parameters = query.parameters.map(
      (value): Filled<P> => (value instanceof Slot ? { name: value.name as keyof P & string } : { value }),
    );
    const used = new Set(parameters.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
    const unused = Object.keys(sample).filter((name) => !used.has(name));
    // A value the builder read instead of passing through would be baked into the SQL.
    if (unused.length > 0) throw new Error(`query template did not use: ${unused.join(', ')}`);
    return { sql: query.sql, parameters };
  }
}
