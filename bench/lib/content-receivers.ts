import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { Sent } from './h264-clip';
import { track } from './harness';
import { monotonicMs, payloadKey } from './rtp-clock';
import { percentile } from './stats';

/**
 * The receiving sites of the content bench, in a process of their own (so that their CPU is not the
 * driver's, and a busy driver does not delay their clocks): per site an audio socket and a main-video
 * socket that only drain, and a content socket that notes every packet's payload hash and arrival
 * time (CLOCK_MONOTONIC, the sender's clock too) while recording.
 */

export type Line = 'audio' | 'main' | 'content';
export type SitePorts = Partial<Record<Line, number>>;

export interface Delivery {
  /** packets sent in the window */
  sent: number;
  /** per content socket: distinct packets of the window that arrived */
  delivered: number[];
  /** per content socket: every RTP packet recorded (window and grace), matched or not */
  arrived: number[];
  /** arrivals whose payload was never sent (rewritten, or not the presenter's) */
  unknown: number;
  /**
   * ms, arrival minus send, over every packet recorded at every receiver (sent in the window or
   * before it: a forwarder that falls behind delivers packets from before the window, seconds late)
   */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

type Request =
  | { type: 'open'; sites: number; lines: Line[] }
  | { type: 'counts' }
  | { type: 'record'; on: boolean }
  | { type: 'report'; sent: Sent[]; from: number; to: number }
  | { type: 'closeSites' };
type Reply = { type: 'opened'; sites: SitePorts[] } | { type: 'counts'; counts: number[] } | { type: 'ok' } | { type: 'report'; delivery: Delivery };

export interface Receivers {
  pid: number;
  /** Binds `sites` more sites with these lines; their ports. */
  open(sites: number, lines: Line[]): Promise<SitePorts[]>;
  /** Packets on each content socket since it opened. */
  counts(): Promise<number[]>;
  record(on: boolean): Promise<void>;
  /** Delivery and delay of the packets sent in [from, to] (monotonicMs) to every content socket. */
  report(sent: Sent[], from: number, to: number): Promise<Delivery>;
  /** Closes every site's sockets (the process stays for the next step). */
  closeSites(): Promise<void>;
  close(): Promise<void>;
}

export function startReceivers(): Receivers {
  const child = track(fork(__filename, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let queue = Promise.resolve<unknown>(undefined);
  const ask = <R extends Reply>(req: Request): Promise<R> => {
    const p = queue.then(
      () =>
        new Promise<R>((resolve, reject) => {
          const onExit = () => reject(new Error('the receivers process exited'));
          child.once('exit', onExit);
          child.once('message', (m) => {
            child.off('exit', onExit);
            resolve(m as R);
          });
          child.send(req);
        }),
    );
    queue = p.catch(() => undefined);
    return p;
  };
  let closed = false;
  return {
    pid: child.pid!,
    open: async (sites, lines) => (await ask<Extract<Reply, { type: 'opened' }>>({ type: 'open', sites, lines })).sites,
    counts: async () => (await ask<Extract<Reply, { type: 'counts' }>>({ type: 'counts' })).counts,
    record: async (on) => void (await ask({ type: 'record', on })),
    report: async (sent, from, to) => (await ask<Extract<Reply, { type: 'report' }>>({ type: 'report', sent, from, to })).delivery,
    closeSites: async () => void (await ask({ type: 'closeSites' })),
    async close() {
      if (closed) return;
      closed = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------- the receivers process itself

interface ContentSocket {
  socket: Socket;
  packets: number;
  arrivals: [key: string, at: number][];
}

function serve(): void {
  const drains: Socket[] = [];
  const contents: ContentSocket[] = [];
  let recording = false;

  const bind = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve(s));
    });

  const handle = async (req: Request): Promise<Reply> => {
    switch (req.type) {
      case 'open': {
        const sites: SitePorts[] = [];
        for (let i = 0; i < req.sites; i++) {
          const ports: SitePorts = {};
          for (const line of req.lines) {
            const socket = await bind();
            ports[line] = socket.address().port;
            if (line === 'content') {
              const c: ContentSocket = { socket, packets: 0, arrivals: [] };
              socket.on('message', (msg) => {
                const at = monotonicMs();
                c.packets++;
                if (!recording) return;
                const key = payloadKey(msg);
                if (key) c.arrivals.push([key, at]);
              });
              contents.push(c);
            } else {
              socket.on('message', () => undefined);
              drains.push(socket);
            }
          }
          sites.push(ports);
        }
        return { type: 'opened', sites };
      }
      case 'counts':
        return { type: 'counts', counts: contents.map((c) => c.packets) };
      case 'record':
        if (req.on) for (const c of contents) c.arrivals = [];
        recording = req.on;
        return { type: 'ok' };
      case 'report':
        return { type: 'report', delivery: deliver(contents, req.sent, req.from, req.to) };
      case 'closeSites':
        for (const s of [...drains.splice(0), ...contents.splice(0).map((c) => c.socket)]) s.close();
        return { type: 'ok' };
    }
  };
  process.on('message', (req: Request) => {
    void handle(req).then((reply) => process.send!(reply));
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}

/**
 * Each arrival is matched to the latest send of the same payload before it (the clip loops, and
 * SPS/PPS repeat every keyframe: the latest earlier send is the one that arrived, while delays stay
 * below the repeat period of a second). Delivery counts only sends inside [from, to]; the delays are
 * those of every arrival recorded.
 */
function deliver(contents: readonly ContentSocket[], sent: readonly Sent[], from: number, to: number): Delivery {
  const sends = new Map<string, number[]>();
  for (const [key, at] of sent) sends.set(key, [...(sends.get(key) ?? []), at]);
  const inWindow = sent.filter(([, at]) => at >= from && at <= to).length;
  const delays: number[] = [];
  let unknown = 0;
  const delivered = contents.map((c) => {
    const seen = new Set<string>();
    let inWindowSeen = 0;
    for (const [key, at] of c.arrivals) {
      const times = sends.get(key);
      if (!times) {
        unknown++;
        continue;
      }
      let t = NaN;
      for (const s of times) if (s <= at) t = s;
      if (!Number.isFinite(t)) continue;
      const id = `${key}@${t}`;
      if (seen.has(id)) continue;
      seen.add(id);
      delays.push(at - t);
      if (t >= from && t <= to) inWindowSeen++;
    }
    return inWindowSeen;
  });
  return {
    sent: inWindow,
    delivered,
    arrived: contents.map((c) => c.arrivals.length),
    unknown,
    p50: percentile(delays, 50),
    p95: percentile(delays, 95),
    p99: percentile(delays, 99),
    max: percentile(delays, 100),
  };
}

if (require.main === module && process.argv[2] === 'serve') serve();
