/**
 * The bridge's BFCP floor control server (RFC 8855) on UDP and TCP. The bridge registers each
 * participant whose SDP offered BFCP (RFC 8856: we answer a=floorctrl:s-only, a=setup:passive over
 * TCP); messages are matched to users by the header's conference and user ids.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import type { Logger } from '../log';
import { BfcpStreamFramer, decodeBfcp, encodeBfcp, unknownAttributeDetails } from './codec';
import { type BfcpVersion, ErrorCode, type ErrorCodeValue, Primitive } from './constants';
import { BfcpDecodeError } from './errors';
import type { BfcpBody, BfcpMessage } from './message';
import { RateLimiter } from './rate-limit';
import { ResponseCache, Retransmitter } from './udp-reliability';
import { BfcpUserSession, type BfcpUserOptions, type FloorDirectory, type SessionLink } from './user-session';

export type { BfcpUserOptions } from './user-session';

export interface BfcpServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly log: Logger;
  /** UDP retransmission of server-initiated messages: first wait (RFC 8855 T1, 500 ms), doubling. */
  readonly t1Ms?: number;
  readonly maxRetransmits?: number;
  /** How long a UDP response is kept to answer a retransmitted request (RFC 8855 T2, 10 s). */
  readonly responseCacheMs?: number;
  /** Messages per second per remote address (UDP) or connection (TCP). */
  readonly ratePerSecond?: number;
  readonly maxTcpConnections?: number;
  /** A TCP connection that has not sent a message of a registered user by then is closed. */
  readonly unboundTcpTimeoutMs?: number;
}

export interface BfcpUserHandle {
  /** Removes the user: its floor request leaves the floor, its TCP connection is closed. Idempotent. */
  close(): void;
}

const MAX_DATAGRAM_BYTES = 4096;
const MAX_TCP_MESSAGE_BYTES = 16 * 1024;
const MAX_ERROR_INFO = 120;

type Origin = { readonly kind: 'udp'; readonly rinfo: RemoteInfo } | { readonly kind: 'tcp'; readonly conn: TcpConnection };

interface TcpConnection {
  readonly socket: TcpSocket;
  readonly framer: BfcpStreamFramer;
  readonly name: string;
  unboundTimer?: NodeJS.Timeout;
}

/** Where a user's messages go. */
interface Peer {
  readonly opts: BfcpUserOptions;
  /** UDP: learnt from the user's first datagram. */
  remote?: { readonly address: string; readonly port: number };
  /** UDP: the version the user speaks (2 per RFC 8855; 1 from RFC 4582-era room systems). */
  version: BfcpVersion;
  conn?: TcpConnection;
}

interface Registered extends Peer {
  readonly session: BfcpUserSession;
}

const userKey = (conferenceId: number, userId: number): string => `${conferenceId}:${userId}:`;

export class BfcpServer {
  private readonly users = new Map<string, Registered>();
  private readonly conns = new Set<TcpConnection>();
  private readonly retransmitter: Retransmitter;
  private readonly responses: ResponseCache;
  private readonly limiter: RateLimiter;
  private readonly externalIds = new Map<string, number>();
  private nextFloorRequestId = 0;
  private nextTransactionId = 0;
  private closing?: Promise<void>;

  private constructor(
    private readonly opts: BfcpServerOptions,
    private readonly udp: UdpSocket,
    private readonly tcp: TcpServer,
    readonly udpPort: number,
    readonly tcpPort: number,
  ) {
    this.retransmitter = new Retransmitter({ t1Ms: opts.t1Ms ?? 500, maxRetransmits: opts.maxRetransmits ?? 4 }, (key) =>
      opts.log.debug({ key }, 'bfcp: no ack after retransmissions'),
    );
    this.responses = new ResponseCache(opts.responseCacheMs ?? 10_000, 4096);
    const rate = opts.ratePerSecond ?? 50;
    this.limiter = new RateLimiter(rate, rate * 2);
    udp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
    udp.on('error', (err) => opts.log.warn({ err }, 'bfcp: udp socket error'));
    tcp.on('connection', (s) => this.onConnection(s));
    tcp.on('error', (err) => opts.log.warn({ err }, 'bfcp: tcp listener error'));
  }

  static async start(opts: BfcpServerOptions): Promise<BfcpServer> {
    const family = opts.host.includes(':') ? 'udp6' : 'udp4';
    const udp = createSocket(family);
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(opts.udpPort, opts.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(opts.tcpPort, opts.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      tcp.close();
      throw err;
    }
    const tcpAddr = tcp.address();
    if (tcpAddr === null || typeof tcpAddr === 'string') throw new Error('bfcp: tcp listener has no port');
    return new BfcpServer(opts, udp, tcp, udp.address().port, tcpAddr.port);
  }

  addUser(opts: BfcpUserOptions): BfcpUserHandle {
    if (this.closing) throw new Error('bfcp: server closed');
    const key = userKey(opts.conferenceId, opts.userId);
    if (this.users.has(key)) throw new Error(`bfcp: user ${opts.userId} already in conference ${opts.conferenceId}`);
    const peer: Peer = { opts, version: opts.transport === 'udp' ? 2 : 1 };
    const session = new BfcpUserSession(opts, this.linkFor(key, peer), () => this.allocateFloorRequestId(), this.directoryFor(opts));
    // The session's link and the input side share one mutable peer: the registration is that object.
    const reg: Registered = Object.assign(peer, { session });
    this.users.set(key, reg);
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.removeUser(key, reg);
      },
    };
  }

  /** Idempotent: sockets, connections and timers are gone when it resolves. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const [key, reg] of [...this.users]) this.removeUser(key, reg);
    this.retransmitter.clear();
    this.responses.clear();
    for (const c of [...this.conns]) this.dropConnection(c);
    await Promise.all([new Promise<void>((r) => this.udp.close(() => r())), new Promise<void>((r) => this.tcp.close(() => r()))]);
  }

  private removeUser(key: string, reg: Registered): void {
    if (this.users.get(key) !== reg) return;
    this.users.delete(key);
    reg.session.close();
    this.retransmitter.cancelPrefix(key);
    this.responses.deletePrefix(key);
    const conn = reg.conn;
    if (conn && ![...this.users.values()].some((r) => r.conn === conn)) this.dropConnection(conn);
  }

  private allocateFloorRequestId(): number {
    this.nextFloorRequestId = (this.nextFloorRequestId % 0xffff) + 1;
    return this.nextFloorRequestId;
  }

  private directoryFor(opts: BfcpUserOptions): FloorDirectory {
    return {
      requestOf: (holderKey) => {
        for (const r of this.users.values()) {
          const id = r.session.floorRequestId;
          if (r.opts.floor === opts.floor && r.opts.holderKey === holderKey && id !== undefined) return { floorRequestId: id, user: r.session.user };
        }
        return undefined;
      },
      externalRequestId: (holderKey) => {
        let id = this.externalIds.get(holderKey);
        if (id === undefined) {
          id = this.allocateFloorRequestId();
          if (this.externalIds.size > 1024) this.externalIds.clear();
          this.externalIds.set(holderKey, id);
        }
        return id;
      },
    };
  }

  private linkFor(key: string, reg: Peer): SessionLink {
    return {
      respond: (m, body) => {
        const bytes = this.encode(reg, m.transactionId, true, body);
        if (!bytes) return;
        if (reg.opts.transport === 'udp') this.responses.put(key + m.transactionId, bytes);
        this.sendTo(reg, bytes);
      },
      notify: (body) => {
        if (reg.opts.transport === 'tcp') {
          // Over TCP the server's own transactions carry id 0 and are not acknowledged.
          const bytes = this.encode(reg, 0, false, body);
          if (bytes) this.sendTo(reg, bytes);
          return;
        }
        if (!reg.remote) return; // never heard from: nowhere to send to
        this.nextTransactionId = (this.nextTransactionId % 0xffff) + 1;
        const tid = this.nextTransactionId;
        const bytes = this.encode(reg, tid, false, body);
        if (bytes) this.retransmitter.start(key + tid, () => this.sendTo(reg, bytes));
      },
    };
  }

  private encode(reg: Peer, transactionId: number, responder: boolean, body: BfcpBody): Uint8Array | undefined {
    try {
      return encodeBfcp({ version: reg.version, responder, conferenceId: reg.opts.conferenceId, userId: reg.opts.userId, transactionId, ...body });
    } catch (err) {
      this.opts.log.warn({ err, primitive: body.primitive }, 'bfcp: message not encodable');
      return undefined;
    }
  }

  private sendTo(reg: Peer, bytes: Uint8Array): void {
    if (reg.opts.transport === 'udp') {
      if (reg.remote) this.sendDatagram(bytes, reg.remote.port, reg.remote.address);
    } else if (reg.conn && !reg.conn.socket.destroyed) {
      reg.conn.socket.write(bytes);
    }
  }

  private sendDatagram(bytes: Uint8Array, port: number, address: string): void {
    if (this.closing) return;
    this.udp.send(bytes, port, address, (err) => {
      if (err) this.opts.log.debug({ err }, 'bfcp: udp send failed');
    });
  }

  // -------------------------------------------------------------------------------------------
  // Input

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    try {
      if (!this.limiter.allow(`u${rinfo.address}`)) return;
      if (buf.length > MAX_DATAGRAM_BYTES) {
        this.opts.log.debug({ from: rinfo.address, bytes: buf.length }, 'bfcp: oversized datagram dropped');
        return;
      }
      this.process(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), { kind: 'udp', rinfo });
    } catch (err) {
      this.opts.log.warn({ err }, 'bfcp: datagram handling failed');
    }
  }

  private onConnection(socket: TcpSocket): void {
    const max = this.opts.maxTcpConnections ?? 256;
    if (this.closing || this.conns.size >= max) {
      socket.destroy();
      return;
    }
    const conn: TcpConnection = { socket, framer: new BfcpStreamFramer(MAX_TCP_MESSAGE_BYTES), name: `t${socket.remoteAddress}:${socket.remotePort}` };
    this.conns.add(conn);
    socket.setNoDelay(true);
    conn.unboundTimer = setTimeout(() => {
      this.opts.log.debug({ conn: conn.name }, 'bfcp: tcp connection never named a user');
      this.dropConnection(conn);
    }, this.opts.unboundTcpTimeoutMs ?? 10_000);
    socket.on('data', (chunk) => {
      try {
        for (const msg of conn.framer.push(chunk)) {
          if (!this.limiter.allow(conn.name)) continue;
          this.process(msg, { kind: 'tcp', conn });
        }
      } catch (err) {
        // Framing is lost (a hostile length): nothing more on this connection can be read.
        this.opts.log.debug({ err, conn: conn.name }, 'bfcp: tcp stream unreadable, closing');
        this.dropConnection(conn);
      }
    });
    socket.on('error', (err) => this.opts.log.debug({ err, conn: conn.name }, 'bfcp: tcp connection error'));
    socket.on('close', () => this.forgetConnection(conn));
  }

  private dropConnection(conn: TcpConnection): void {
    conn.socket.destroy();
    this.forgetConnection(conn);
  }

  private forgetConnection(conn: TcpConnection): void {
    clearTimeout(conn.unboundTimer);
    this.conns.delete(conn);
    for (const r of this.users.values()) if (r.conn === conn) r.conn = undefined;
  }

  private process(bytes: Uint8Array, from: Origin): void {
    let m: BfcpMessage;
    try {
      m = decodeBfcp(bytes);
    } catch (err) {
      if (!(err instanceof BfcpDecodeError)) throw err;
      this.opts.log.debug({ reason: err.reason, code: err.errorCode }, 'bfcp: undecodable message');
      this.answerUndecodable(err, from);
      return;
    }
    if (from.kind === 'tcp' && m.version !== 1) {
      return this.answerError(from, m, m.version, ErrorCode.UnsupportedVersion, 'version 1 over TCP');
    }
    const key = userKey(m.conferenceId, m.userId);
    const reg = this.users.get(key);
    if (!reg || reg.opts.transport !== from.kind) {
      const conferenceKnown = [...this.users.values()].some((r) => r.opts.conferenceId === m.conferenceId);
      return this.answerError(from, m, m.version, conferenceKnown ? ErrorCode.UserDoesNotExist : ErrorCode.ConferenceDoesNotExist, 'not registered');
    }
    if (from.kind === 'udp') {
      const { address, port } = from.rinfo;
      if (!reg.remote) reg.remote = { address, port };
      else if (reg.remote.address !== address || reg.remote.port !== port) {
        this.opts.log.debug({ key, address, port }, 'bfcp: datagram for a user from another address dropped');
        return;
      }
      reg.version = m.version;
    } else if (reg.conn !== from.conn) {
      reg.conn = from.conn;
      clearTimeout(from.conn.unboundTimer);
    }
    if (m.responder || m.primitive === 'FloorRequestStatusAck' || m.primitive === 'FloorStatusAck') {
      if (m.primitive === 'FloorRequestStatusAck' || m.primitive === 'FloorStatusAck') this.retransmitter.ack(key + m.transactionId);
      else if (m.primitive === 'Error') this.opts.log.debug({ key, code: m.errorCode, info: m.errorInfo }, 'bfcp: client reported an error');
      return;
    }
    if (from.kind === 'udp') {
      const cached = this.responses.get(key + m.transactionId);
      if (cached) return this.sendTo(reg, cached);
    }
    reg.session.handle(m);
  }

  private answerUndecodable(err: BfcpDecodeError, from: Origin): void {
    const h = err.header;
    // Only requests are answered; never an error to an error or a response.
    if (!h || h.responder || h.primitive === Primitive.Error) return;
    this.answerError(from, h, h.version, err.errorCode, err.reason, err.errorCode === ErrorCode.UnknownMandatoryAttribute ? err.unknownAttributes : []);
  }

  private answerError(
    from: Origin,
    req: { readonly responder: boolean; readonly conferenceId: number; readonly transactionId: number; readonly userId: number },
    version: BfcpVersion,
    errorCode: ErrorCodeValue,
    info: string,
    unknown: readonly number[] = [],
  ): void {
    if (req.responder) return;
    const bytes = encodeBfcp({
      version: from.kind === 'tcp' ? 1 : version,
      responder: true,
      conferenceId: req.conferenceId,
      transactionId: req.transactionId,
      userId: req.userId,
      primitive: 'Error',
      errorCode,
      ...(unknown.length > 0 && { errorDetails: unknownAttributeDetails(unknown) }),
      errorInfo: info.slice(0, MAX_ERROR_INFO),
    });
    if (from.kind === 'udp') this.sendDatagram(bytes, from.rinfo.port, from.rinfo.address);
    else if (!from.conn.socket.destroyed) from.conn.socket.write(bytes);
  }
}
