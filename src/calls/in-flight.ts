/**
 * At most `limit` call set-ups in flight for the whole bridge (`DIAL_CONCURRENCY`): dial-out attempts,
 * calls back and calls moving to another media server all make a FreeSWITCH channel and a SIP
 * transaction, and a burst of them at once overloads the node they land on (bench/RESULTS.md §3).
 * The others wait their turn, first come first served.
 */
export class InFlight {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#running >= this.limit) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
