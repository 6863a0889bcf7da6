/**
 * The content floor of one meeting: who presents slides. One holder at a time; shared by BFCP,
 * H.239, browsers and the operator, so it knows nothing of any of them (holders are opaque keys).
 */
export type FloorPolicy = 'take-over' | 'queue';

export type FloorChangeReason = 'granted' | 'released' | 'revoked' | 'taken-over' | 'left';

/** `reason` is why the floor moved: what `previous` did or had done to it, or `granted` to a free floor. */
export interface FloorChange {
  readonly holder: string | null;
  readonly previous: string | null;
  readonly reason: FloorChangeReason;
}

export type FloorRequestResult = { readonly granted: true } | { readonly granted: false; readonly position: number };

export class ContentFloor {
  private current: string | null = null;
  private readonly waiting: string[] = [];
  private readonly listeners = new Set<(ev: FloorChange) => void>();

  constructor(readonly policy: FloorPolicy) {}

  get holder(): string | null {
    return this.current;
  }

  /** Keys waiting under the queue policy, first in line first. */
  get queue(): readonly string[] {
    return [...this.waiting];
  }

  /** With take-over the floor is taken from any holder; with queue the request waits its turn (position from 1). */
  request(key: string): FloorRequestResult {
    if (this.current === key) return { granted: true };
    if (this.current === null) {
      this.move(key, 'granted');
      return { granted: true };
    }
    if (this.policy === 'take-over') {
      this.move(key, 'taken-over');
      return { granted: true };
    }
    if (!this.waiting.includes(key)) this.waiting.push(key);
    return { granted: false, position: this.waiting.indexOf(key) + 1 };
  }

  /** Drops the key's hold (the next in line gets the floor) or its place in the queue. True when it had either. */
  release(key: string): boolean {
    return this.drop(key, 'released');
  }

  /** The participant is gone: as release. */
  leave(key: string): boolean {
    return this.drop(key, 'left');
  }

  /** The operator takes the floor away; the next in line, if any, gets it. Returns the former holder. */
  revoke(): string | null {
    const previous = this.current;
    if (previous !== null) this.move(this.waiting.shift() ?? null, 'revoked');
    return previous;
  }

  onChange(listener: (ev: FloorChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private drop(key: string, reason: 'released' | 'left'): boolean {
    if (this.current === key) {
      this.move(this.waiting.shift() ?? null, reason);
      return true;
    }
    const i = this.waiting.indexOf(key);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  private move(holder: string | null, reason: FloorChangeReason): void {
    const ev: FloorChange = { holder, previous: this.current, reason };
    this.current = holder;
    for (const l of [...this.listeners]) l(ev);
  }
}
