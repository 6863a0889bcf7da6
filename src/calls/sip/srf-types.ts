import type { EventEmitter } from 'node:events';

/**
 * The part of drachtio-srf 5 diemcau uses. Its bundled typings miss per-method handlers and the
 * `reconnect` option and declare `connect()` as a promise (it returns the app); these are checked
 * against its source (lib/srf.js, lib/request.js, lib/response.js, lib/dialog.js).
 */

export interface SipMessage {
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  get(header: string): string | undefined;
  has(header: string): boolean;
}

export interface SipRequest extends SipMessage {
  readonly source_address: string;
  readonly source_port: number;
  /** `udp`, `tcp`, `tls`, `ws` or `wss`. */
  readonly protocol: string;
  on(event: 'cancel', listener: () => void): this;
}

export interface SendOptions {
  headers?: Record<string, string | string[]>;
  body?: string;
}

export interface SipResponse {
  readonly finalResponseSent: boolean;
  send(status: number, reason?: string, opts?: SendOptions): void;
  send(status: number, opts?: SendOptions): void;
}

export interface SipDialog extends EventEmitter {
  readonly id: string;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  readonly connected: boolean;
  destroy(opts?: { headers?: Record<string, string> }): Promise<void>;
  modify(sdp: string): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<unknown>;
  on(event: 'destroy', listener: (bye: SipMessage) => void): this;
  on(event: 'modify', listener: (req: SipRequest, res: SipResponse) => void): this;
  on(event: 'info' | 'options' | 'update' | 'refresh', listener: (req: SipRequest, res: SipResponse) => void): this;
}

export type Handler = (req: SipRequest, res: SipResponse) => void;

/** A request the app sent (drachtio-srf passes it to callbacks as soon as it is on the wire). */
export interface SentRequest {
  get(header: string): string | undefined;
  cancel(): void;
  on(event: 'response', listener: (res: SipMessage & { status: number }) => void): this;
}

export interface UacOptions {
  localSdp?: string;
  headers?: Record<string, string>;
  auth?: { username: string; password: string };
}

export interface SrfApp extends EventEmitter {
  connect(opts: { host: string; port: number; secret: string; reconnect?: { retryMaxDelay?: number } }): this;
  disconnect(): void;
  register(handler: Handler): void;
  invite(handler: Handler): void;
  options(handler: Handler): void;
  createUAS(req: SipRequest, res: SipResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SipDialog>;
  /** drachtio-srf calls `cbRequest(err, req)` (its bundled typings say `(req)`). */
  createUAC(uri: string, opts: UacOptions, progress?: { cbRequest?: (err: unknown, req: SentRequest) => void }): Promise<SipDialog>;
  /**
   * `stackDialogId`: a request in a dialog drachtio-server holds, named by its id; drachtio-server
   * takes the target from the dialog (drachtio-srf's own Dialog sends `sip:placeholder` as the URI).
   */
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string; stackDialogId?: string },
    cb: (err: Error | null, req: SentRequest) => void,
  ): void;
}
