import { Client } from 'pg';
import type { Logger } from '../log';

/** Advisory lock key held by the one `diemcau serve` that carries calls ("dcact"). */
const ACTIVE_LOCK = 0x6463616374;
const POLL_MS = 500;
/**
 * The lock dies with its connection: these make PostgreSQL drop a connection whose process vanished
 * with its machine (no FIN) within about 5 + 2 × 3 = 11 s, so the standby is not kept waiting for the
 * operating system's two hours.
 */
const KEEPALIVE = { idle: 5, interval: 2, count: 3 };

/**
 * Active and standby (docker/README.md, "Two bridge processes"): several `diemcau serve` on one
 * PostgreSQL, and exactly one carries calls — the one holding this session-level advisory lock. The
 * others wait for it, doing nothing else (no HTTP, no SIP), and the first to get the lock when the
 * active process dies takes its calls over from FreeSWITCH, as a restart does. PostgreSQL releases the
 * lock the moment the holder's connection closes, which a killed process's does at once.
 */
export class ActiveLock {
  #lost: ((err: Error) => void) | null = null;
  #released = false;

  private constructor(private readonly client: Client) {
    const lost = (err: Error) => {
      if (this.#released) return;
      this.#released = true;
      this.#lost?.(err);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the connection holding the active lock closed')));
  }

  /** Resolves once this process holds the lock; logs once that it waits as a standby. `signal` gives up. */
  static async acquire(url: string, log: Logger, signal?: AbortSignal): Promise<ActiveLock | null> {
    const client = new Client({
      connectionString: url,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE.idle * 1000,
      application_name: 'diemcau active lock',
    });
    await client.connect();
    try {
      await client.query(
        `SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false), set_config('tcp_keepalives_count', $3, false)`,
        [String(KEEPALIVE.idle), String(KEEPALIVE.interval), String(KEEPALIVE.count)],
      );
      let told = false;
      for (;;) {
        const [row] = (await client.query(`SELECT pg_try_advisory_lock($1) AS locked`, [ACTIVE_LOCK])).rows as { locked: boolean }[];
        if (row?.locked) {
          if (told) log.warn('this process is now the active one: taking the calls over');
          return new ActiveLock(client);
        }
        if (!told) log.info('standby: another diemcau serve on this database is active; waiting to take over');
        told = true;
        if (signal?.aborted) {
          await client.end();
          return null;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /** Called once if the lock is lost while held (the database restarted, the network broke): another process may now be active. */
  onLost(listener: (err: Error) => void): void {
    this.#lost = listener;
  }

  /** Gives the lock up (a clean stop, after the calls were left running for the next process). Twice is a no-op. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.client.query(`SELECT pg_advisory_unlock($1)`, [ACTIVE_LOCK]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
