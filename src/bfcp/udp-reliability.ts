/**
 * RFC 8855 §6.2 over UDP: server-initiated FloorRequestStatus/FloorStatus are retransmitted (T1,
 * doubling) until the client's Ack arrives, and responses are kept for a while so a retransmitted
 * request is answered again rather than processed twice.
 */

export interface RetransmitOptions {
  /** First retransmission after this long; each next one after twice the previous wait. */
  readonly t1Ms: number;
  /** Retransmissions after the first send before giving up. */
  readonly maxRetransmits: number;
}

export class Retransmitter {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  constructor(
    private readonly opts: RetransmitOptions,
    private readonly onGiveUp: (key: string) => void,
  ) {}

  /** Sends now and again until `ack(key)`; a second start with the same key replaces the first. */
  start(key: string, send: () => void): void {
    this.cancel(key);
    send();
    const schedule = (attempt: number): void => {
      const timer = setTimeout(
        () => {
          if (attempt >= this.opts.maxRetransmits) {
            this.pending.delete(key);
            this.onGiveUp(key);
            return;
          }
          send();
          schedule(attempt + 1);
        },
        this.opts.t1Ms * 2 ** attempt,
      );
      this.pending.set(key, timer);
    };
    schedule(0);
  }

  /** True when the key was awaiting its ack. */
  ack(key: string): boolean {
    return this.cancel(key);
  }

  cancel(key: string): boolean {
    const t = this.pending.get(key);
    if (!t) return false;
    clearTimeout(t);
    this.pending.delete(key);
    return true;
  }

  cancelPrefix(prefix: string): void {
    for (const key of [...this.pending.keys()]) if (key.startsWith(prefix)) this.cancel(key);
  }

  get size(): number {
    return this.pending.size;
  }

  clear(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}

/** Responses by request key, kept `ttlMs` and at most `maxEntries` (oldest dropped first); no timers. */
export class ResponseCache {
  private readonly entries = new Map<string, { readonly bytes: Uint8Array; readonly at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Uint8Array | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.bytes;
  }

  put(key: string, bytes: Uint8Array): void {
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { bytes, at: now });
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - e.at <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }

  deletePrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
