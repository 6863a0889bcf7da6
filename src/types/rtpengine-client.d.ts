/**
 * The part of rtpengine-client 0.4.12 that diemcau uses (UDP `Client` only). The package ships no
 * typings; these are written from its source (index.js, lib/Client.js, lib/BaseClient.js).
 *
 * Facts from that source that the declarations encode:
 * - Each command is `client.<cmd>(port, host, params?)` and, without a callback, returns a promise of
 *   the decoded bencode dictionary. An rtpengine-side failure still *resolves*, with
 *   `result: 'error'` and `error-reason`; only transport failures and timeouts reject.
 * - Without `timeout` in the constructor options a request to a dead daemon never settles.
 * - The client emits 'error' (e.g. a reply arriving after its timeout): an unhandled 'error' event
 *   would crash the process, so every user must listen for it.
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  /** A bencode value as rtpengine sends or accepts it (strings decoded as UTF-8). */
  export type NgValue = string | number | readonly NgValue[] | NgDictionary;
  export interface NgDictionary {
    readonly [key: string]: NgValue;
  }

  /** ng request parameters; the client adds `command` itself. */
  export type NgParams = NgDictionary;

  export interface NgResponse {
    /** 'ok', 'pong' (ping), 'error', or 'load limit' */
    readonly result: string;
    readonly 'error-reason'?: string;
    readonly warning?: string;
    /** offer / answer: the rewritten SDP */
    readonly sdp?: string;
    /** list: the active call-ids */
    readonly calls?: readonly string[];
    readonly [key: string]: NgValue | undefined;
  }

  export interface ClientOptions {
    /** local UDP port to bind; 0 or unset = any */
    localPort?: number;
    /** local address to bind; unset = all interfaces */
    localAddress?: string;
    /** per-request timeout in ms; the promise rejects with RtpEngineError('rtpengine timeout …') */
    timeout?: number;
  }

  export class RtpEngineError extends Error {}

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    constructor(localPort: number, localAddress?: string);

    offer(port: number, host: string, params: NgParams): Promise<NgResponse>;
    answer(port: number, host: string, params: NgParams): Promise<NgResponse>;
    delete(port: number, host: string, params: NgParams): Promise<NgResponse>;
    query(port: number, host: string, params: NgParams): Promise<NgResponse>;
    list(port: number, host: string, params?: NgParams): Promise<NgResponse>;
    ping(port: number, host: string, params?: NgParams): Promise<NgResponse>;

    /** closes the UDP socket; requests still pending settle only through their timeout */
    close(): void;

    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'listening', listener: () => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
    once(event: 'listening', listener: () => void): this;
  }
}
