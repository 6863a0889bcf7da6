import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { findExecutable } from './executables';
import type { RtpRemote } from './rtp-peer';

/**
 * H.264 over RTP for device-profile tests: a receiver that records what a room system would get
 * (NAL unit types per RFC 6184, packet sizes, bitrate) and an ffmpeg sender standing in for a
 * camera. Only node:dgram and the ffmpeg binary.
 */

/** One received video RTP packet, as much as the measurements need. */
interface VideoPacket {
  at: number;
  /** the whole UDP payload: RTP header + H.264 payload */
  bytes: number;
  /** RFC 6184 payload type of the packet: 1–23 a single NAL unit, 24 STAP-A, 28 FU-A… */
  nalType: number;
}

export interface H264Stats {
  packets: number;
  /** packets per RFC 6184 NAL unit type of the RTP payload (28 = FU-A, 24 = STAP-A) */
  nalTypes: Record<number, number>;
  /** largest RTP packet (header + payload), bytes */
  maxPacketBytes: number;
  /** RTP bitrate (headers included) over the window, kbit/s */
  rtpKbps: number;
  /** the same on the wire: + IPv4 and UDP headers (28 bytes a packet), kbit/s */
  ipKbps: number;
  /** each whole second of the window on the wire, kbit/s: keyframes show as bursts */
  perSecondIpKbps: number[];
  seconds: number;
}

/** IPv4 + UDP header bytes of each packet on the wire. */
const IP_UDP_OVERHEAD = 28;

export class H264Receiver {
  private readonly packets: VideoPacket[] = [];
  /** RTCP payload-specific feedback received on the RTCP port (RFC 4585/5104): keyframe requests. */
  readonly feedback = { pli: 0, fir: 0 };
  /** SSRC of the last video packet received. */
  #ssrc = 0;
  #firSeq = 0;

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    private readonly rtcp: Socket | null,
  ) {
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('error', () => undefined);
    rtcp?.on('message', (msg) => this.onRtcp(msg));
    rtcp?.on('error', () => undefined);
  }

  /** Binds an even UDP port (RTP convention) and, with `rtcp`, the odd one above it for RTCP. */
  static async open(host = '127.0.0.1', opts: { rtcp?: boolean } = {}): Promise<H264Receiver> {
    const bind = (socket: Socket, port: number) =>
      new Promise<number>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => resolve(socket.address().port));
      });
    for (let attempt = 0; attempt < 20; attempt++) {
      const socket = createSocket('udp4');
      const port = await bind(socket, 0);
      if (port % 2 === 0) {
        if (!opts.rtcp) return new H264Receiver(socket, host, port, null);
        const rtcp = createSocket('udp4');
        if (
          await bind(rtcp, port + 1).then(
            () => true,
            () => false,
          )
        )
          return new H264Receiver(socket, host, port, rtcp);
        rtcp.close();
      }
      await new Promise<void>((r) => socket.close(() => r()));
    }
    throw new Error('H264Receiver: no even UDP port found');
  }

  /**
   * Asks for a keyframe from the RTCP port, as a room system does: an RTCP FIR (RFC 5104 §4.3.1) and a
   * PLI (RFC 4585 §6.3.1) for the stream it receives.
   */
  requestKeyframe(remoteRtcp: RtpRemote): void {
    if (!this.rtcp) throw new Error('H264Receiver: opened without an RTCP port');
    const ours = 0x0d1e_3c00;
    const fir = Buffer.alloc(20);
    fir[0] = 0x84; // V=2, FMT=4 (FIR)
    fir[1] = 206; // PSFB
    fir.writeUInt16BE(4, 2);
    fir.writeUInt32BE(ours, 4);
    fir.writeUInt32BE(0, 8); // media SSRC: unused by FIR
    fir.writeUInt32BE(this.#ssrc, 12); // FCI: the stream, and a new sequence number
    fir[16] = ++this.#firSeq & 0xff;
    const pli = Buffer.alloc(12);
    pli[0] = 0x81; // V=2, FMT=1 (PLI)
    pli[1] = 206;
    pli.writeUInt16BE(2, 2);
    pli.writeUInt32BE(ours, 4);
    pli.writeUInt32BE(this.#ssrc, 8);
    this.rtcp.send(Buffer.concat([fir, pli]), remoteRtcp.port, remoteRtcp.host);
  }

  private onRtcp(msg: Buffer): void {
    // A compound packet: walk its packets (length in 32-bit words minus one).
    for (let off = 0; off + 4 <= msg.length; off += 4 * (msg.readUInt16BE(off + 2) + 1)) {
      if (msg[off + 1] !== 206) continue;
      const fmt = msg[off]! & 0x1f;
      if (fmt === 1) this.feedback.pli++;
      else if (fmt === 4) this.feedback.fir++;
    }
  }

  /** Packets received so far. */
  count(): number {
    return this.packets.length;
  }

  /** What arrived in the last windowMs (by arrival time). */
  stats(windowMs: number): H264Stats {
    const since = performance.now() - windowMs;
    const window = this.packets.filter((p) => p.at >= since);
    const nalTypes: Record<number, number> = {};
    let bytes = 0;
    let maxPacketBytes = 0;
    for (const p of window) {
      nalTypes[p.nalType] = (nalTypes[p.nalType] ?? 0) + 1;
      bytes += p.bytes;
      maxPacketBytes = Math.max(maxPacketBytes, p.bytes);
    }
    const seconds = windowMs / 1000;
    const perSecond = new Array<number>(Math.ceil(seconds)).fill(0);
    for (const p of window) perSecond[Math.min(perSecond.length - 1, Math.floor((p.at - since) / 1000))]! += p.bytes + IP_UDP_OVERHEAD;
    return {
      packets: window.length,
      nalTypes,
      maxPacketBytes,
      seconds,
      perSecondIpKbps: perSecond.map((b) => Math.round((b * 8) / 1000)),
      rtpKbps: Math.round((bytes * 8) / seconds / 1000),
      ipKbps: Math.round(((bytes + window.length * IP_UDP_OVERHEAD) * 8) / seconds / 1000),
    };
  }

  /** Sends from this receiver's port, as a room system sends from the port it receives on. */
  send(packet: Uint8Array, remote: RtpRemote): void {
    this.socket.send(packet, remote.port, remote.host);
  }

  close(): void {
    this.socket.close();
    this.rtcp?.close();
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 13 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP
    this.#ssrc = msg.readUInt32BE(8);
    let offset = 12 + 4 * (msg[0]! & 0x0f);
    if (msg[0]! & 0x10) offset += 4 + 4 * msg.readUInt16BE(offset + 2);
    if (offset >= msg.length) return;
    this.packets.push({ at: performance.now(), bytes: msg.length, nalType: msg[offset]! & 0x1f });
  }
}

export function findFfmpeg(): string | undefined {
  return findExecutable('FFMPEG_BIN', 'ffmpeg');
}

/**
 * A camera: ffmpeg encodes a moving test pattern under heavy noise (so the conference's encoders
 * have far more detail than any cap allows) as H.264 Baseline and sends it as RTP from `localPort`
 * (the port the caller's SDP announced) to `remote`. Stop it with kill().
 */
export function sendH264(
  ffmpeg: string,
  remote: RtpRemote,
  opts: {
    localPort: number;
    payloadType: number;
    kbps?: number /** an ffmpeg lavfi source instead of the noisy pattern, e.g. `color=c=red:s=640x360:r=15` */;
    source?: string;
  },
): ChildProcess {
  const kbps = opts.kbps ?? 1500;
  const child = spawn(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      opts.source ?? 'testsrc2=s=640x360:r=15,noise=alls=80:allf=t',
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '15',
      '-b:v',
      `${kbps}k`,
      '-maxrate',
      `${kbps}k`,
      '-bufsize',
      `${kbps}k`,
      '-pix_fmt',
      'yuv420p',
      // SPS/PPS before every keyframe: FreeSWITCH may join the stream at any point
      '-bsf:v',
      'dump_extra',
      '-payload_type',
      String(opts.payloadType),
      '-f',
      'rtp',
      `rtp://${remote.host}:${remote.port}?localrtpport=${opts.localPort}&pkt_size=1200`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', () => undefined);
  return child;
}

/** The video RTP address in an SDP body (m=video port; media-level c= over session-level). */
export function sdpVideoTarget(sdp: string): RtpRemote {
  const session = /^c=IN IP4 (\S+)/m.exec(sdp.split(/\r?\n(?=m=)/)[0] ?? '')?.[1];
  const block = sdp.split(/\r?\n(?=m=)/).find((b) => b.startsWith('m=video '));
  const port = Number(/^m=video (\d+)/.exec(block ?? '')?.[1] ?? 0);
  const host = /^c=IN IP4 (\S+)/m.exec(block ?? '')?.[1] ?? session;
  if (!host || !port) throw new Error(`no video address in SDP:\n${sdp}`);
  return { host, port };
}

/** Appends an H.264 video line (`fmtp` as the room system would send it) to an audio-only SDP. */
export function withH264Video(audioSdp: string, o: { port: number; payloadType?: number; fmtp: string; bandwidthKbps?: number; direction?: string }): string {
  const pt = o.payloadType ?? 96;
  const lines = [
    `m=video ${o.port} RTP/AVP ${pt}`,
    ...(o.bandwidthKbps ? [`b=AS:${o.bandwidthKbps}`] : []),
    `a=rtpmap:${pt} H264/90000`,
    `a=fmtp:${pt} ${o.fmtp}`,
    `a=${o.direction ?? 'sendrecv'}`,
  ];
  return `${audioSdp.trimEnd()}\r\n${lines.join('\r\n')}\r\n`;
}
