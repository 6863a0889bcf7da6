import Srf from 'drachtio-srf';
import type { DependencyState } from '../../observability/dependency-state';
import type { Logger } from '../../log';
import type { SrfApp } from './srf-types';

export interface DrachtioTarget {
  host: string;
  port: number;
  secret: string;
}

/**
 * The connection to drachtio-server: the only place diemcau constructs drachtio-srf. drachtio-srf
 * reconnects by itself with backoff; this tracks the state for /readyz and the logs.
 */
export class Signalling {
  readonly srf: SrfApp;
  #state: DependencyState = 'connecting';
  #closed = false;

  constructor(
    private readonly target: DrachtioTarget,
    private readonly log: Logger,
  ) {
    this.srf = new Srf() as unknown as SrfApp;
    this.srf.on('connect', (err: Error | null, hostport: string) => {
      if (err) {
        this.#state = 'down';
        this.log.error({ err: err.message }, 'drachtio-server refused the connection');
        return;
      }
      this.#state = 'up';
      this.log.info({ hostport }, 'connected to drachtio-server');
    });
    this.srf.on('reconnecting', (info: { delay: number; attempt: number }) => {
      if (this.#state === 'up') this.log.warn('lost drachtio-server; reconnecting');
      this.#state = 'connecting';
      this.log.debug(info, 'drachtio reconnect attempt');
    });
    this.srf.on('close', () => {
      if (!this.#closed && this.#state === 'up') this.#state = 'connecting';
    });
    // Without an 'error' listener drachtio-srf would throw; it retries on its own.
    this.srf.on('error', (err: Error) => this.log.debug({ err: err.message }, 'drachtio connection error'));
  }

  /** Starts connecting; resolves when connected the first time (or rejects after `timeoutMs`). */
  connect(timeoutMs = 10_000): Promise<void> {
    this.srf.connect({ ...this.target, reconnect: { retryMaxDelay: 5000 } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.srf.off('connect', onConnect);
        reject(new Error(`drachtio-server at ${this.target.host}:${this.target.port} did not accept us within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = (err: Error | null) => {
        if (err) return;
        clearTimeout(timer);
        this.srf.off('connect', onConnect);
        resolve();
      };
      this.srf.on('connect', onConnect);
    });
  }

  get state(): DependencyState {
    return this.#state;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'down';
    this.srf.disconnect();
  }
}
