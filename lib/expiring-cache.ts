/**
 * A bounded map of entries that each end at their `until`, least recently used first: past `max`, the
 * least recently used goes. `until` and `get`'s `now` are read on one clock, the caller's: the monotonic
 * one for requireBearer()'s verdicts by token digest, the wall clock for the token pairs a failed write
 * could not store (unstored-pairs.ts).
 *
 * @example
 * const cache = new ExpiringCache<{ until: number }>(500);
 * cache.set(key, { until: Date.now() + 60_000 });
 * cache.get(key, Date.now()); // the entry, until it ends
 */
export class ExpiringCache<T extends { until: number }> {
  readonly #entries = new Map<string, T>();
  constructor(readonly max: number) {}

  get(key: string, now: number): T | undefined {
    const found = this.#entries.get(key);
    if (found === undefined) return undefined;
    this.#entries.delete(key);
    if (found.until <= now) return undefined;
    this.#entries.set(key, found); // most recently used: last
    return found;
  }

  set(key: string, entry: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.max) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
