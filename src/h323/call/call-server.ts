/**
 * The H.323 call-signalling server (H.225.0 over TCP, port 1720 by default): accepts
 * connections, runs one CallConnection per call, and is the handle the SIP side holds to end
 * calls (release) or ask for keyframes. An endpoint's own keyframe requests (H.245
 * videoFastUpdatePicture) reach the sink (H323CallSink.keyframeRequest).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../../log';
import type { IpPort } from '../messages/common';
import { CallConnection } from './connection';
import type { H323CallContent, H323CallSink, ReleaseWhy } from './sink';

export interface CallServerOptions {
  /** Bind address; loopback unless deliberately exposed. */
  host?: string;
  /** TCP port; 1720 is the standard, 0 picks a free one (tests). */
  port?: number;
  sink: H323CallSink;
  /** How long the sink may take to answer an offer (ms). Default 60 000. */
  answerTimeoutMs?: number;
  /** How long a new connection may take to send its Setup (ms). Default 10 000. */
  setupTimeoutMs?: number;
  /** Connections beyond this are refused at once. Default 500. */
  maxConnections?: number;
  log?: Logger;
}

export class H323CallServer {
  private readonly connections = new Set<CallConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly calls = new Map<string, CallConnection>();
  private closing = false;

  private constructor(
    private readonly server: Server,
    private readonly bound: IpPort,
    private readonly o: CallServerOptions,
    private readonly log: Logger,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => log.error({ err }, 'H.225: server error'));
  }

  static async start(o: CallServerOptions): Promise<H323CallServer> {
    const log = o.log ?? silentLogger;
    const server = createServer();
    server.maxConnections = o.maxConnections ?? 500;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 1720, o.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('H.225: server has no TCP address');
    log.info({ address: `${a.address}:${a.port}` }, 'H.323 call server listening');
    return new H323CallServer(server, { ip: a.address, port: a.port }, o, log);
  }

  address(): IpPort {
    return { ...this.bound };
  }

  /** Call identifiers of calls being offered or connected. */
  activeCalls(): string[] {
    return [...this.calls.keys()];
  }

  /** Open signalling connections (calls and connections still waiting for a Setup). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Ends a call from the SIP side: Release Complete with the mapped cause. False if unknown. */
  release(callId: string, why: ReleaseWhy = { cause: 16 }): boolean {
    return this.calls.get(callId)?.release(why) ?? false;
  }

  /** Asks the endpoint for a keyframe of the video it sends. False when there is no such channel. */
  requestKeyframe(callId: string): boolean {
    return this.calls.get(callId)?.requestKeyframe() ?? false;
  }

  /** H.239 of a connected call answered with content (presentation channel toward it, token); undefined otherwise. */
  content(callId: string): H323CallContent | undefined {
    return this.calls.get(callId)?.content;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.shutdown();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const conn = new CallConnection(socket, {
      sink: this.o.sink,
      log: this.log,
      setupTimeoutMs: this.o.setupTimeoutMs ?? 10_000,
      answerTimeoutMs: this.o.answerTimeoutMs ?? 60_000,
      claim: (c) => {
        if (!c.callId || this.calls.has(c.callId)) return false;
        this.calls.set(c.callId, c);
        return true;
      },
      ended: (c) => {
        if (c.callId && this.calls.get(c.callId) === c) this.calls.delete(c.callId);
      },
      gone: (c) => {
        this.connections.delete(c);
        if (c.callId && this.calls.get(c.callId) === c) this.calls.delete(c.callId);
      },
    });
    this.connections.add(conn);
  }
}

export const startCallServer = (o: CallServerOptions): Promise<H323CallServer> => H323CallServer.start(o);
