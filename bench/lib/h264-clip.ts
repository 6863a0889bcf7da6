import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { sendH264 } from '../../test/support/h264-peer';
import { freePort } from '../../test/support/stack';
import { sleep } from './harness';
import { monotonicMs, payloadKey } from './rtp-clock';

/**
 * A pre-encoded H.264 RTP stream replayed at exactly the bitrate asked, so that no encoder runs while
 * the content bench measures: ffmpeg (the tests' `sendH264`: noisy test pattern, Baseline, `fps` frames
 * a second, a keyframe every 15 frames with SPS/PPS, packets of at most 1,200 bytes) is recorded once as it
 * sends, then the recorded packets are sent again in a loop from the presenter's socket, frame by
 * frame, with the frames spread evenly so that the RTP stream (headers included) is exactly `kbps`.
 */

interface Frame {
  /** ms from the start of the clip */
  at: number;
  packets: { bytes: Buffer; key: string }[];
}

export interface Clip {
  frames: Frame[];
  /** one pass through the clip, ms */
  durationMs: number;
  packets: number;
  /** what ffmpeg itself sent, kbit/s of RTP */
  recordedKbps: number;
  kbps: number;
}

export async function recordClip(ffmpeg: string, o: { seconds: number; kbps: number; fps: number; payloadType: number }): Promise<Clip> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const got: { at: number; bytes: Buffer }[] = [];
  socket.on('message', (bytes) => got.push({ at: monotonicMs(), bytes }));
  const sender = sendH264(
    ffmpeg,
    { host: '127.0.0.1', port: socket.address().port },
    { localPort: await freePort({ udp: true }), payloadType: o.payloadType, kbps: o.kbps, source: `testsrc2=s=640x360:r=${o.fps},noise=alls=80:allf=t` },
  );
  try {
    // One second more than asked: ffmpeg's rate control settles in the first frames.
    await sleep((o.seconds + 1) * 1000);
  } finally {
    sender.kill('SIGKILL');
    await new Promise<void>((r) => socket.close(() => r()));
  }
  const byTimestamp = new Map<number, Buffer[]>();
  for (const { bytes } of got) {
    if (payloadKey(bytes) === null) continue;
    const ts = bytes.readUInt32BE(4);
    byTimestamp.set(ts, [...(byTimestamp.get(ts) ?? []), bytes]);
  }
  // Start at a keyframe with its SPS/PPS (NAL 7, alone or in a STAP-A) after the first second.
  const all = [...byTimestamp.values()];
  const skip = Math.max(
    0,
    all.findIndex((pkts, i) => i >= o.fps && pkts.some((p) => (p[12]! & 0x1f) === 7 || ((p[12]! & 0x1f) === 24 && (p[15]! & 0x1f) === 7))),
  );
  const kept = all.slice(skip, skip + o.seconds * o.fps);
  if (kept.length < o.fps) throw new Error(`ffmpeg sent ${got.length} RTP packets in ${o.seconds + 1} s: too few for a clip`);
  const bits = kept.flat().reduce((sum, p) => sum + p.length * 8, 0);
  const recordedSeconds = (got.at(-1)!.at - got[0]!.at) / 1000;
  const durationMs = bits / o.kbps;
  return {
    frames: kept.map((pkts, i) => ({ at: (i * durationMs) / kept.length, packets: pkts.map((bytes) => ({ bytes, key: payloadKey(bytes)! })) })),
    durationMs,
    packets: kept.flat().length,
    recordedKbps: (got.reduce((sum, p) => sum + p.bytes.length * 8, 0) / recordedSeconds / 1000) | 0,
    kbps: o.kbps,
  };
}

/** One packet sent: its identity and when (monotonicMs). */
export type Sent = [key: string, at: number];

/** Plays a clip in a loop from `socket` to a target until stop(); every send is logged. */
export class ClipPlayer {
  readonly sent: Sent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  readonly #ssrc = 0x5eed0001;

  constructor(
    private readonly clip: Clip,
    private readonly socket: Socket,
  ) {}

  start(target: { host: string; port: number }): void {
    this.stop();
    this.sent.length = 0;
    const t0 = monotonicMs();
    let frame = 0;
    const tick = () => {
      for (;;) {
        const loop = Math.floor(frame / this.clip.frames.length);
        const f = this.clip.frames[frame % this.clip.frames.length]!;
        const due = t0 + loop * this.clip.durationMs + f.at;
        const now = monotonicMs();
        if (due > now) {
          this.#timer = setTimeout(tick, due - now);
          return;
        }
        // 90 kHz timestamps that go on rising across loops, as one long stream would
        const ts = Math.round(((loop * this.clip.durationMs + f.at) * 90) % 2 ** 32);
        for (const p of f.packets) {
          const out = Buffer.from(p.bytes);
          out.writeUInt16BE(this.#seq++ & 0xffff, 2);
          out.writeUInt32BE(ts, 4);
          out.writeUInt32BE(this.#ssrc, 8);
          this.sent.push([p.key, monotonicMs()]);
          this.socket.send(out, target.port, target.host);
        }
        frame++;
      }
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
