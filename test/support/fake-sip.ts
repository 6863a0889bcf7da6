import { EventEmitter } from 'node:events';
import type { Handler, SendOptions, SentRequest, SipDialog, SipMessage, SipRequest, SipResponse, SrfApp, UacOptions } from '../../src/calls/sip/srf-types';

/**
 * drachtio-srf in memory, through the interfaces of src/calls/sip/srf-types.ts: requests the test
 * makes up, responses that record what the bridge sent, dialogs that record BYEs, and an app whose
 * createUAS/createUAC the test scripts. Events go into `log` shared with fake-media.ts when given.
 */

export class FakeRequest extends EventEmitter implements SipRequest {
  readonly method = 'INVITE';
  readonly protocol = 'udp';
  readonly source_port = 5060;
  readonly #headers: Map<string, string>;

  constructor(
    readonly uri: string,
    readonly body: string,
    headers: Record<string, string> = {},
    readonly source_address = '192.0.2.10',
  ) {
    super();
    this.#headers = new Map(
      Object.entries({ 'Call-ID': `call-${Math.random().toString(36).slice(2)}`, From: '"Xã Ia Ko" <sip:guest@caller.test>;tag=ft1', ...headers }).map(
        ([k, v]) => [k.toLowerCase(), v],
      ),
    );
  }

  get(header: string): string | undefined {
    return this.#headers.get(header.toLowerCase());
  }

  has(header: string): boolean {
    return this.#headers.has(header.toLowerCase());
  }

  /** The caller sends CANCEL. */
  cancel(): void {
    this.emit('cancel');
  }
}

export class FakeResponse implements SipResponse {
  readonly sent: { status: number; reason: string | undefined; headers: Record<string, string | string[]>; body: string | undefined }[] = [];

  get finalResponseSent(): boolean {
    return this.sent.some((s) => s.status >= 200);
  }

  get status(): number | undefined {
    return this.sent.at(-1)?.status;
  }

  header(name: string): string | undefined {
    const h = this.sent.at(-1)?.headers[name];
    return Array.isArray(h) ? h.join(', ') : h;
  }

  send(status: number, reason?: string | SendOptions, opts?: SendOptions): void {
    const o = typeof reason === 'object' ? reason : opts;
    this.sent.push({ status, reason: typeof reason === 'string' ? reason : undefined, headers: o?.headers ?? {}, body: o?.body });
  }
}

let nextDialog = 1;

export class FakeDialog extends EventEmitter implements SipDialog {
  readonly id = `dialog-${nextDialog++}`;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  /** How it ended: a BYE we sent, or one from the far end. */
  ended: 'bye-sent' | 'bye-received' | null = null;
  byes = 0;
  readonly requests: { method: string; headers?: Record<string, string>; body?: string }[] = [];

  constructor(
    opts: { callId: string; localSdp: string; remoteSdp: string },
    private readonly log: string[] = [],
  ) {
    super();
    this.sip = { callId: opts.callId, localTag: 'lt', remoteTag: 'rt' };
    this.local = { sdp: opts.localSdp };
    this.remote = { sdp: opts.remoteSdp };
  }

  get connected(): boolean {
    return this.ended === null;
  }

  async destroy(): Promise<void> {
    this.byes++;
    if (this.ended) return;
    this.ended = 'bye-sent';
    this.log.push(`bye ${this.sip.callId}`);
  }

  async modify(sdp: string): Promise<string> {
    this.requests.push({ method: 'INVITE', body: sdp });
    return this.remote.sdp;
  }

  async request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<unknown> {
    this.requests.push(opts);
    return {};
  }

  /** The far end hangs up (BYE to the bridge). */
  byeFromFarEnd(): void {
    if (this.ended) return;
    this.ended = 'bye-received';
    this.log.push(`bye-received ${this.sip.callId}`);
    this.emit('destroy', { method: 'BYE', uri: '', body: '', get: () => undefined, has: () => false } satisfies SipMessage);
  }
}

/** A request the bridge sent (createUAC): the test answers it, or the bridge cancels it. */
export class FakeSentRequest implements SentRequest {
  cancelled = 0;
  readonly #callId: string;
  constructor(
    readonly uri: string,
    readonly opts: UacOptions,
    callId: string,
    private readonly onCancel: () => void,
  ) {
    this.#callId = callId;
  }
  get(header: string): string | undefined {
    return header.toLowerCase() === 'call-id' ? this.#callId : undefined;
  }
  cancel(): void {
    this.cancelled++;
    this.onCancel();
  }
  on(): this {
    return this;
  }
}

/** A failed UAC attempt as drachtio-srf rejects it (a SipError carries the final status). */
export function sipError(status: number): Error & { status: number } {
  return Object.assign(new Error(`Sip non-success response: ${status}`), { status });
}

/**
 * One outbound INVITE as the test scripts it: `ring` decides what the far end does once the
 * request is on the wire: answer (`answer(sdp)`), refuse (`fail(status)`), or nothing (it rings).
 */
export interface Ringing {
  readonly request: FakeSentRequest;
  answer(sdp: string): FakeDialog;
  fail(status: number): void;
}

export class FakeSrf extends EventEmitter implements SrfApp {
  readonly dialogs: FakeDialog[] = [];
  readonly ringing: Ringing[] = [];
  /** Set: createUAS rejects (the caller cancelled as the answer went out). */
  uasError: Error | null = null;
  /** What the far end does with each outbound INVITE; by default it rings until the test acts. */
  onInvite: (r: Ringing) => void = () => undefined;
  /** Set: drachtio hands the sent request over only once this is opened. */
  handOverGate: Promise<void> | null = null;

  constructor(readonly log: string[] = []) {
    super();
  }

  connect(): this {
    return this;
  }
  disconnect(): void {}
  register(_h: Handler): void {}
  invite(_h: Handler): void {}
  options(_h: Handler): void {}
  request(): void {}

  async createUAS(req: SipRequest, res: SipResponse, opts: { localSdp: string }): Promise<SipDialog> {
    if (this.uasError) throw this.uasError;
    res.send(200, { body: opts.localSdp });
    const dialog = new FakeDialog({ callId: req.get('Call-ID') ?? '', localSdp: opts.localSdp, remoteSdp: req.body }, this.log);
    this.dialogs.push(dialog);
    this.log.push(`answered ${dialog.sip.callId}`);
    return dialog;
  }

  createUAC(uri: string, opts: UacOptions, progress?: { cbRequest?: (err: unknown, req: SentRequest) => void }): Promise<SipDialog> {
    const callId = `out-${this.ringing.length + 1}`;
    return new Promise<SipDialog>((resolve, reject) => {
      let over = false;
      const fail = (status: number): void => {
        if (over) return;
        over = true;
        reject(sipError(status));
      };
      const request = new FakeSentRequest(uri, opts, callId, () => {
        this.log.push(`cancel ${callId}`);
        fail(487);
      });
      const ringing: Ringing = {
        request,
        answer: (sdp) => {
          const dialog = new FakeDialog({ callId, localSdp: opts.localSdp ?? '', remoteSdp: sdp }, this.log);
          this.dialogs.push(dialog);
          if (!over) {
            over = true;
            this.log.push(`answered ${callId}`);
            resolve(dialog);
          }
          return dialog;
        },
        fail,
      };
      this.ringing.push(ringing);
      this.log.push(`invite ${callId} ${uri}`);
      void (async () => {
        if (this.handOverGate) await this.handOverGate;
        progress?.cbRequest?.(null, request);
        this.onInvite(ringing);
      })();
    });
  }
}
