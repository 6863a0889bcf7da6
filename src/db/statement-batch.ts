interface Waiting<In, Out> {
  item: In;
  /** In a statement of its own: it shared one that failed. */
  alone: boolean;
  resolve(out: Out): void;
  reject(err: unknown): void;
}

/**
 * Runs many small requests as few statements: the first request that finds nothing in flight goes at
 * the end of this turn of the event loop, with whatever else arrived in that turn; requests that arrive
 * while a statement runs wait for it and then go together as the next one. One statement is in flight
 * at a time, so at a low rate each request is its own statement (no added wait beyond the turn), and
 * under load a batch holds what arrived during one statement's round trip: the cost per request of a
 * round trip (the socket write, the parse, the commit) falls as the rate rises, which is where it counts.
 *
 * Two requests with one `key` never share a statement (the second waits for the next), so a statement
 * may assume its keys distinct. A statement that fails is tried again one request at a time, so one
 * bad request (or a deadlock between batches of two processes) fails only itself.
 */
export class StatementBatch<In, Out> {
  readonly #waiting: Waiting<In, Out>[] = [];
  #busy = false;

  constructor(
    private readonly run: (items: readonly In[]) => Promise<Out[]>,
    private readonly key: (item: In) => string,
    private readonly max = 200,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#waiting.push({ item, alone: false, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        setImmediate(() => void this.#next());
      }
    });
  }

  async #next(): Promise<void> {
    for (let batch = this.#take(); batch.length; batch = this.#take()) {
      try {
        const out = await this.run(batch.map((w) => w.item));
        for (const [i, w] of batch.entries()) w.resolve(out[i]!);
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else this.#waiting.unshift(...batch.map((w) => ({ ...w, alone: true })));
      }
    }
    this.#busy = false;
  }

  #take(): Waiting<In, Out>[] {
    if (this.#waiting[0]?.alone) return this.#waiting.splice(0, 1);
    const keys = new Set<string>();
    const batch: Waiting<In, Out>[] = [];
    for (let i = 0; i < this.#waiting.length && batch.length < this.max; ) {
      const w = this.#waiting[i]!;
      const k = this.key(w.item);
      if (w.alone || keys.has(k)) {
        i++;
        continue;
      }
      keys.add(k);
      batch.push(w);
      this.#waiting.splice(i, 1);
    }
    return batch;
  }
}
