/**
 * A Map of at most `capacity` entries that forgets the least recently used one first, and
 * entries older than `maxAgeMs`. For the inbox's caches: everything in them can be read again
 * from the database, so forgetting costs a round trip, never correctness.
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs = Number.POSITIVE_INFINITY,
    private readonly clock: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.clock() - entry.at > this.maxAgeMs) return undefined;
    this.entries.set(key, entry); // most recent last
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, at: this.clock() });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
