/**
 * Counts authentication failures per source and shuts a source out for a while once it has failed
 * too often — the same policy for API keys, SIP digest and meeting PINs. Pure: time comes from `now`.
 */
export interface FailureLimiterOptions {
  /** Failures allowed within `windowMs` before the source is blocked. */
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  now?: () => number;
  /** Sources tracked at most; the oldest are forgotten first, so a flood cannot exhaust memory. */
  maxSources?: number;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
}

export class FailureLimiter {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxSources: number;

  constructor(private readonly options: FailureLimiterOptions) {
    this.#now = options.now ?? Date.now;
    this.#maxSources = options.maxSources ?? 100_000;
  }

  /** Milliseconds until `source` may try again; 0 when it is not blocked. */
  blockedFor(source: string): number {
    const entry = this.#entries.get(source);
    if (!entry) return 0;
    return Math.max(0, entry.blockedUntil - this.#now());
  }

  /** Records a failure; returns true when this failure blocks the source. */
  fail(source: string): boolean {
    const now = this.#now();
    let entry = this.#entries.get(source);
    if (entry) this.#entries.delete(source);
    else entry = { failures: [], blockedUntil: 0 };
    this.#entries.set(source, entry); // re-inserted: Map order is least recently failed first
    entry.failures = entry.failures.filter((t) => now - t < this.options.windowMs);
    entry.failures.push(now);
    if (this.#entries.size > this.#maxSources) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    if (entry.failures.length >= this.options.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.options.blockMs;
      entry.failures = [];
      return true;
    }
    return false;
  }

  /** A success forgets the source's failures (not an active block). */
  succeed(source: string): void {
    const entry = this.#entries.get(source);
    if (entry && entry.blockedUntil <= this.#now()) this.#entries.delete(source);
  }
}
