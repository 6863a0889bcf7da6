/**
 * When the connection to the bridge drops, the page tries again by itself: 1, 2, 4, 8, 16, then
 * every 30 seconds, counting down on screen so the user knows it is working on it.
 */

export function backoffSeconds(attempt: number): number {
  return Math.min(30, 2 ** Math.max(0, attempt - 1));
}

/** Ticks once a second with the seconds left, then fires `done`; `skip` fires it at once. */
export class Countdown {
  #left: number;
  #timer: ReturnType<typeof setInterval> | null;

  constructor(
    seconds: number,
    private readonly onTick: (left: number) => void,
    private readonly done: () => void,
  ) {
    this.#left = seconds;
    this.onTick(this.#left);
    this.#timer = setInterval(() => {
      this.#left -= 1;
      if (this.#left <= 0) this.skip();
      else this.onTick(this.#left);
    }, 1000);
  }

  skip(): void {
    if (!this.cancel()) return;
    this.done();
  }

  /** Returns false when it had already fired or been cancelled. */
  cancel(): boolean {
    if (this.#timer === null) return false;
    clearInterval(this.#timer);
    this.#timer = null;
    return true;
  }
}
