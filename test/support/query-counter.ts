import type { DataSource } from 'typeorm';

interface Queryable {
  query(...args: unknown[]): unknown;
}
interface ConnectingPool {
  connect(...args: unknown[]): unknown;
}

/**
 * Counts the statements `ds` sends to PostgreSQL (every connection of its pool, TypeORM's and plain
 * `ds.query` alike) between start() and stop(): the database round trips of whatever ran in between.
 * Transaction control (BEGIN, COMMIT) counts: each is a round trip.
 */
export class QueryCounter {
  readonly statements: string[] = [];
  #counting = false;
  readonly #wrapped = new WeakSet<object>();
  readonly #pool: ConnectingPool;
  readonly #connect: ConnectingPool['connect'];

  constructor(ds: DataSource) {
    this.#pool = (ds.driver as unknown as { master: ConnectingPool }).master;
    this.#connect = this.#pool.connect;
    const wrap = (client: Queryable) => this.#wrap(client);
    const connect = this.#connect;
    // TypeORM takes a client for every query (callback style): wrap each as it is handed out.
    this.#pool.connect = function (this: ConnectingPool, ...args: unknown[]) {
      const cb = args[0];
      if (typeof cb === 'function') {
        return connect.call(this, (err: unknown, client: Queryable, release: unknown) => {
          if (client) wrap(client);
          (cb as (...a: unknown[]) => void)(err, client, release);
        });
      }
      return (connect.call(this) as Promise<Queryable>).then((client) => {
        wrap(client);
        return client;
      });
    };
  }

  start(): void {
    this.statements.length = 0;
    this.#counting = true;
  }

  stop(): number {
    this.#counting = false;
    return this.statements.length;
  }

  /** Puts the pool back as it was (wrapped clients stay wrapped but count nothing). */
  close(): void {
    this.#counting = false;
    this.#pool.connect = this.#connect;
  }

  #wrap(client: Queryable): void {
    if (this.#wrapped.has(client)) return;
    this.#wrapped.add(client);
    const query = client.query;
    client.query = (...args: unknown[]) => {
      if (this.#counting) {
        const first = args[0];
        this.statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text ?? first));
      }
      return query.apply(client, args);
    };
  }
}
