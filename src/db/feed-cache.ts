import type { ChangeFeed } from './change-feed';

/**
 * Values read from the database, kept in memory while the change feed is live and dropped the moment
 * it says a row behind them changed: the key it names (`drop: 'key'`), or everything (`'all'`, for
 * values that any change of the topic can alter). Without a live feed every look-up is a read.
 *
 * A read that started before a change is not kept (the epoch), so nothing older than the last change
 * this process heard of is ever served. `null` (nothing found) is not kept: a guess at a name that
 * does not exist would only fill memory. Past `maxEntries` the least recently used entry goes.
 */
export class FeedCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #unsubscribe: () => void;
  #epoch = 0;

  constructor(
    private readonly changes: ChangeFeed | null,
    topic: string,
    private readonly maxEntries: number,
    drop: 'key' | 'all',
  ) {
    this.#unsubscribe = changes?.subscribe(topic, (key) => this.#drop(drop === 'key' ? key : null)) ?? (() => {});
  }

  async get(key: string, read: () => Promise<V | null>): Promise<V | null> {
    if (this.changes?.live !== true) return read();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const epoch = this.#epoch;
    const value = await read();
    if (value !== null && this.changes.live && epoch === this.#epoch) {
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, value);
    }
    return value;
  }

  close(): void {
    this.#unsubscribe();
    this.#drop(null);
  }

  #drop(key: string | null): void {
    this.#epoch++;
    if (key === null) this.#entries.clear();
    else this.#entries.delete(key);
  }
}
