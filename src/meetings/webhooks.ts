import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../log';
import type { MeetingEvent, MeetingEvents } from './meeting-events';

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Delays before each retry; the delivery is dropped after the last. */
  retryDelaysMs?: number[];
  /** Deliveries waiting at most; the oldest are dropped first when a receiver is down for long. */
  maxQueued?: number;
  timeoutMs?: number;
}

/** HMAC-SHA256 of the exact body, hex, as the receiver recomputes it. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Delivers every meeting event to one configured URL as a signed JSON POST, in order, retrying with
 * backoff. A slow or dead receiver never holds up a meeting: deliveries queue (bounded) and are
 * dropped, with a log line, when they cannot be delivered.
 */
export class WebhookSender {
  readonly #queue: { id: string; event: MeetingEvent }[] = [];
  #busy = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #unsubscribe: () => void;

  constructor(
    events: MeetingEvents,
    private readonly options: WebhookOptions,
    private readonly log: Logger,
  ) {
    this.#unsubscribe = events.subscribe('*', (event) => this.#enqueue(event));
  }

  /** Deliveries still waiting (for tests and shutdown). */
  get pending(): number {
    return this.#queue.length + (this.#busy ? 1 : 0);
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer) clearTimeout(this.#timer);
  }

  #enqueue(event: MeetingEvent): void {
    if (this.#closed) return;
    this.#queue.push({ id: randomUUID(), event });
    const max = this.options.maxQueued ?? 1000;
    if (this.#queue.length > max) {
      const dropped = this.#queue.shift();
      this.log.warn({ delivery: dropped?.id, type: dropped?.event.type }, 'webhook queue full; oldest event dropped');
    }
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (!this.#closed && this.#queue.length) {
        const next = this.#queue.shift()!;
        await this.#deliver(next.id, next.event);
      }
    } finally {
      this.#busy = false;
    }
  }

  async #deliver(id: string, event: MeetingEvent): Promise<void> {
    const body = JSON.stringify(event);
    const delays = this.options.retryDelaysMs ?? [1000, 5000, 30_000, 120_000];
    for (let attempt = 0; attempt <= delays.length && !this.#closed; attempt++) {
      try {
        const res = await fetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-diemcau-event': event.type,
            'x-diemcau-delivery': id,
            'x-diemcau-signature': signWebhook(this.options.secret, body),
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        if (res.ok) return;
        this.log.warn({ delivery: id, status: res.status, attempt }, 'webhook refused');
      } catch (err) {
        this.log.warn({ delivery: id, err: (err as Error).message, attempt }, 'webhook failed');
      }
      if (attempt < delays.length) await new Promise<void>((r) => (this.#timer = setTimeout(r, delays[attempt])));
    }
    if (!this.#closed) this.log.error({ delivery: id, type: event.type }, 'webhook dropped after retries');
  }
}
