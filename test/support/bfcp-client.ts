/**
 * A small BFCP floor participant for tests, over UDP or TCP, built on our codec: sends requests,
 * collects everything the server sends (decoded and as octets) and, unless told not to,
 * acknowledges the server's FloorRequestStatus/FloorStatus over UDP as RFC 8855 asks.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { type BfcpBody, BfcpStreamFramer, type BfcpMessage, type BfcpVersion, decodeBfcp, encodeBfcp } from '../../src/bfcp/codec';

export interface BfcpClientOptions {
  readonly conferenceId: number;
  readonly userId: number;
  /** Default 2 over UDP, 1 over TCP. */
  readonly version?: BfcpVersion;
  /** UDP: answer server-initiated messages with their Ack (default true). */
  readonly autoAck?: boolean;
}

export class BfcpClient {
  /** Everything received, in order, as octets. */
  readonly rawReceived: Uint8Array[] = [];
  /** Everything we sent, as octets. */
  readonly rawSent: Uint8Array[] = [];
  private readonly inbox: BfcpMessage[] = [];
  private waiters: { pred: (m: BfcpMessage) => boolean; resolve: (m: BfcpMessage) => void }[] = [];
  private nextTid = 1;
  autoAck: boolean;
  readonly version: BfcpVersion;
  private closed = false;

  private constructor(
    readonly opts: BfcpClientOptions,
    private readonly transport: { kind: 'udp'; socket: UdpSocket; port: number; host: string } | { kind: 'tcp'; socket: TcpSocket },
  ) {
    this.autoAck = opts.autoAck ?? true;
    this.version = opts.version ?? (transport.kind === 'udp' ? 2 : 1);
  }

  static async udp(host: string, port: number, opts: BfcpClientOptions): Promise<BfcpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const c = new BfcpClient(opts, { kind: 'udp', socket, port, host });
    socket.on('message', (buf) => c.receive(new Uint8Array(buf)));
    return c;
  }

  static async tcp(host: string, port: number, opts: BfcpClientOptions): Promise<BfcpClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new BfcpClient(opts, { kind: 'tcp', socket });
    const framer = new BfcpStreamFramer();
    socket.on('data', (chunk) => {
      for (const m of framer.push(chunk)) c.receive(m);
    });
    socket.on('error', () => undefined);
    return c;
  }

  get tcpSocket(): TcpSocket | undefined {
    return this.transport.kind === 'tcp' ? this.transport.socket : undefined;
  }

  /** Sends a request; returns its transaction id. */
  send(body: BfcpBody, transactionId = this.nextTid++, responder = false): number {
    this.sendRaw(encodeBfcp({ version: this.version, responder, conferenceId: this.opts.conferenceId, userId: this.opts.userId, transactionId, ...body }));
    return transactionId;
  }

  sendRaw(bytes: Uint8Array): void {
    this.rawSent.push(bytes);
    if (this.transport.kind === 'udp') this.transport.socket.send(bytes, this.transport.port, this.transport.host);
    else this.transport.socket.write(bytes);
  }

  /** Sends a request and waits for the response with its transaction id. */
  async request(body: BfcpBody, timeoutMs = 2000): Promise<BfcpMessage> {
    const tid = this.send(body);
    return this.next((m) => m.responder && m.transactionId === tid, timeoutMs);
  }

  /** The first message (received already or to come) that matches; removed from the inbox. */
  next(pred: (m: BfcpMessage) => boolean = () => true, timeoutMs = 2000): Promise<BfcpMessage> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: BfcpMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`bfcp client ${this.opts.userId}: nothing matching within ${timeoutMs} ms; inbox: ${this.inbox.map((m) => m.primitive).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Messages received and not yet taken. */
  get pending(): readonly BfcpMessage[] {
    return this.inbox;
  }

  private receive(bytes: Uint8Array): void {
    this.rawReceived.push(bytes);
    const m = decodeBfcp(bytes);
    if (this.autoAck && this.transport.kind === 'udp' && !m.responder) {
      if (m.primitive === 'FloorRequestStatus') this.send({ primitive: 'FloorRequestStatusAck' }, m.transactionId, true);
      if (m.primitive === 'FloorStatus') this.send({ primitive: 'FloorStatusAck' }, m.transactionId, true);
    }
    const w = this.waiters.find((x) => x.pred(m));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(m);
    } else this.inbox.push(m);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.transport.kind === 'udp') {
      const s = this.transport.socket;
      await new Promise<void>((r) => s.close(() => r()));
    } else {
      const s = this.transport.socket;
      if (s.destroyed) return;
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.destroy();
      });
    }
  }
}
