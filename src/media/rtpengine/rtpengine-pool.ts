import { EventEmitter } from 'node:events';
import { Client, type NgDictionary, type NgResponse } from 'rtpengine-client';
import { silentLogger, type Logger } from '../../log';
import { RtpEngineError } from './errors';
import { RelaySession, type NgChannel, type RelayKeys, type SessionCommand } from './relay-session';

export interface RtpEngineServer {
  host: string;
  port: number;
}

export type RtpEngineState = 'up' | 'down' | 'connecting';

export interface RtpEnginePoolOptions {
  log?: Logger;
  /** how often each instance is pinged (default 5000 ms) */
  pingIntervalMs?: number;
  /**
   * how long any ng request may take (default 2000 ms). rtpengine-client has no timeout of its own:
   * without one a request to a dead daemon would never settle.
   */
  requestTimeoutMs?: number;
  /**
   * rtpengine's `delete-delay` for our deletes (default 0). The daemon's own default (30 s) keeps a
   * deleted call, its ports and its `list` entry around for late signalling; the bridge deletes only
   * after both legs are torn down, so nothing more will come.
   */
  deleteDelaySeconds?: number;
  /** local address the ng client binds (default: all interfaces) */
  localAddress?: string;
}

/** One instance as reported by `instances()`. */
export interface RtpEngineInstance {
  /** 'host:port' */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly state: RtpEngineState;
  /** sessions picked on it and not yet deleted */
  readonly activeSessions: number;
}

interface Slot {
  id: string;
  server: RtpEngineServer;
  client: Client | null;
  state: RtpEngineState;
  active: number;
  pinging: Promise<void> | null;
}

const TIMEOUT = /^rtpengine timeout/;

/**
 * Every configured rtpengine, each with its own ng client (UDP), health-checked with `ping`. A new
 * browser call goes to the least loaded instance that answered its last ping; the call then stays
 * on that instance for its whole life (rtpengine keeps the call's state in memory).
 *
 * Events: 'up' (id) and 'down' (id) on each change of an instance's state.
 */
export class RtpEnginePool extends EventEmitter {
  readonly #slots: Slot[];
  readonly #log: Logger;
  readonly #pingIntervalMs: number;
  readonly #timeoutMs: number;
  readonly #deleteDelay: number;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    servers: readonly RtpEngineServer[],
    private readonly options: RtpEnginePoolOptions = {},
  ) {
    super();
    this.#log = options.log ?? silentLogger;
    this.#pingIntervalMs = options.pingIntervalMs ?? 5000;
    this.#timeoutMs = options.requestTimeoutMs ?? 2000;
    this.#deleteDelay = options.deleteDelaySeconds ?? 0;
    this.#slots = servers.map((server) => ({
      id: `${server.host}:${server.port}`,
      server,
      client: null,
      state: 'connecting',
      active: 0,
      pinging: null,
    }));
  }

  /** Opens the ng sockets and starts pinging; resolves once every instance answered or failed once. */
  async start(): Promise<void> {
    if (this.#closed || this.#timer) return;
    for (const slot of this.#slots) {
      const client = new Client({
        timeout: this.#timeoutMs,
        ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
      });
      // A reply that arrives after its timeout is reported as an 'error' event; unhandled, that
      // event would crash the process.
      client.on('error', (err) => this.#log.debug({ rtpengine: slot.id, err: err.message }, 'rtpengine client error'));
      slot.client = client;
    }
    this.#timer = setInterval(() => void this.checkHealth(), this.#pingIntervalMs);
    // Health checks alone must not keep the process alive; close() stops them anyway.
    this.#timer.unref();
    await this.checkHealth();
  }

  /** Pings every instance now (one ping in flight per instance) and returns the states. */
  async checkHealth(): Promise<Record<string, RtpEngineState>> {
    await Promise.all(this.#slots.map((slot) => (slot.pinging ??= this.#ping(slot).finally(() => (slot.pinging = null)))));
    return this.states();
  }

  /**
   * A relay session for a new browser call on the least loaded instance that is up (ties: the first
   * configured), or undefined when none is (the caller answers 503).
   */
  pick(keys: RelayKeys): RelaySession | undefined {
    const up = this.#slots.filter((s) => s.state === 'up' && s.client);
    if (!up.length) return undefined;
    const slot = up.reduce((a, b) => (b.active < a.active ? b : a));
    slot.active++;
    return new RelaySession(keys, this.#channel(slot), {
      deleteDelaySeconds: this.#deleteDelay,
      onRelease: () => {
        slot.active--;
      },
    });
  }

  /** For /readyz: `rtpengine host:port` → state. */
  states(): Record<string, RtpEngineState> {
    return Object.fromEntries(this.#slots.map((s) => [`rtpengine ${s.id}`, s.state]));
  }

  instances(): RtpEngineInstance[] {
    return this.#slots.map((s) => ({ id: s.id, host: s.server.host, port: s.server.port, state: s.state, activeSessions: s.active }));
  }

  /** Stops the health checks and closes the sockets. Calls on rtpengine are left to its own timeouts. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const slot of this.#slots) {
      slot.client?.close();
      slot.client = null;
      slot.state = 'down';
    }
  }

  async #ping(slot: Slot): Promise<void> {
    // before start() (or after close()) there is no socket: the state stays as it is
    if (!slot.client) return;
    let ok = false;
    let why = '';
    try {
      const res = await this.#send(slot, 'ping', {});
      ok = res.result === 'pong';
      if (!ok) why = `answered ${res.result}`;
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (this.#closed) return;
    const next: RtpEngineState = ok ? 'up' : 'down';
    if (slot.state === next) return;
    slot.state = next;
    if (ok) this.#log.info({ rtpengine: slot.id }, 'rtpengine up');
    else this.#log.warn({ rtpengine: slot.id, why }, 'rtpengine down');
    this.emit(next, slot.id);
  }

  #channel(slot: Slot): NgChannel {
    return {
      instance: slot.id,
      request: async (command: SessionCommand, params: NgDictionary) => {
        const res = await this.#send(slot, command, params);
        if (res.result !== 'ok') {
          // 'error' with error-reason, or e.g. 'load limit' when the daemon refuses new calls
          throw new RtpEngineError('error', command, slot.id, res['error-reason'] ?? res.result);
        }
        if (res.warning) this.#log.debug({ rtpengine: slot.id, command, warning: res.warning }, 'rtpengine warning');
        return res;
      },
    };
  }

  /** One ng request; transport failures and timeouts become RtpEngineError. */
  async #send(slot: Slot, command: SessionCommand | 'ping', params: NgDictionary): Promise<NgResponse> {
    const client = slot.client;
    if (!client) throw new RtpEngineError('closed', command, slot.id, this.#closed ? 'the pool is closed' : 'the pool is not started');
    const { port, host } = slot.server;
    try {
      switch (command) {
        case 'ping':
          return await client.ping(port, host, params);
        case 'offer':
          return await client.offer(port, host, params);
        case 'answer':
          return await client.answer(port, host, params);
        case 'delete':
          return await client.delete(port, host, params);
        case 'query':
          return await client.query(port, host, params);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new RtpEngineError(TIMEOUT.test(message) ? 'timeout' : 'transport', command, slot.id, message);
    }
  }
}
