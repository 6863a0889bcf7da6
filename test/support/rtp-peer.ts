import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * A tiny RTP endpoint for media tests: it offers/answers PCMU + telephone-event, sends a sine tone or
 * RFC 4733 DTMF, and measures what arrives, so a test can prove that audio went through FreeSWITCH's
 * conference mixer (peer A's 1 kHz tone is heard by peer B) without a softphone. Only node:dgram.
 */

export const PCMU = 0;
export const TELEPHONE_EVENT = 101;
const RATE = 8000;
const PTIME_MS = 20;
const SAMPLES_PER_PACKET = (RATE * PTIME_MS) / 1000; // 160
/** Received µ-law audio kept for toneEnergy(): enough for any sensible window, bounded memory. */
const KEEP_AUDIO_MS = 30_000;
/** After a stall (blocked event loop) send at most this many late packets at once, then skip ahead. */
const MAX_BURST = 5;

export interface RtpRemote {
  host: string;
  port: number;
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpSdpOptions {
  sessionId?: number;
  /** o= version; by default every sdp() call increments it, as a re-offer must. */
  sessionVersion?: number;
  /** default [0, 101]; [0] offers no telephone-event. */
  payloadTypes?: ReadonlyArray<typeof PCMU | typeof TELEPHONE_EVENT>;
  direction?: SdpDirection;
}

export interface RtpReceived {
  packets: number;
  payloadTypes: Set<number>;
  /** digits decoded from received telephone-event packets (PT 101), once per event */
  dtmf: string;
}

// ---------------------------------------------------------------------------------------------
// G.711 µ-law (ITU-T G.711, the classic segment/mantissa form) and the Goertzel filter

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** 16-bit linear PCM → µ-law byte. */
export function ulawEncode(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** µ-law byte → 16-bit linear PCM. */
export function ulawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** Goertzel power |X(f)|² of samples[start, start+length) — one DFT bin, at any frequency. */
export function goertzel(samples: ArrayLike<number>, freqHz: number, sampleRate = RATE, start = 0, length = samples.length - start): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * The share of the signal's power at freqHz (0..1): a pure sine gives ~1, silence or other tones ~0.
 * Computed over 100 ms blocks and summed, so a phase jump where a packet was lost (or the mixer
 * restarted) does not cancel the tone out, as it would in one long coherent DFT.
 */
export function toneRatio(samples: ArrayLike<number>, freqHz: number, sampleRate = RATE): number {
  const block = sampleRate / 10;
  let tone = 0;
  let total = 0;
  for (let start = 0; start < samples.length; start += block) {
    const n = Math.min(block, samples.length - start);
    if (n < SAMPLES_PER_PACKET) break;
    // 2|X|²/N of a sine with amplitude A is A²N/2, its energy Σx²
    tone += (2 * goertzel(samples, freqHz, sampleRate, start, n)) / n;
    for (let i = start; i < start + n; i++) total += samples[i]! * samples[i]!;
  }
  return total > 0 ? Math.min(1, tone / total) : 0;
}

// ---------------------------------------------------------------------------------------------
// RTP

/** RFC 4733 event codes */
const DTMF_EVENTS = '0123456789*#ABCD';

interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

function parseRtp(msg: Buffer): RtpPacket | undefined {
  if (msg.length < 12 || msg[0]! >> 6 !== 2) return undefined;
  const csrcCount = msg[0]! & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (msg[0]! & 0x10) {
    if (msg.length < offset + 4) return undefined;
    offset += 4 + 4 * msg.readUInt16BE(offset + 2);
  }
  let end = msg.length;
  if (msg[0]! & 0x20) end -= msg[msg.length - 1]!;
  if (offset > end) return undefined;
  const payloadType = msg[1]! & 0x7f;
  // RTCP (PT 200-204 with the marker bit) arrives here when rtcp-mux is assumed: not media
  if (payloadType >= 72 && payloadType <= 76) return undefined;
  return {
    payloadType,
    marker: (msg[1]! & 0x80) !== 0,
    sequence: msg.readUInt16BE(2),
    timestamp: msg.readUInt32BE(4),
    ssrc: msg.readUInt32BE(8),
    payload: msg.subarray(offset, end),
  };
}

interface ToneSource {
  remote: RtpRemote;
  payloadType: number;
  freqHz: number;
  amplitude: number;
  marker: boolean;
}

interface DtmfJob {
  remote: RtpRemote;
  event: number;
  durationTicks: number;
  /** silent (or tone) ticks after the end packets, before the next digit */
  gapTicks: number;
  /** media-clock tick of the event's first packet, once started */
  startTick?: number;
  sent: number;
  done: () => void;
}

const END_PACKETS = 3;

export class RtpPeer {
  readonly host: string;
  readonly port: number;
  private readonly socket: Socket;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0x10000);
  private readonly timestampBase = randomInt(0, 0x100000000);
  /** the media clock: tick k (k·20 ms after epoch) carries RTP timestamp base + k·160 */
  private readonly epoch = performance.now();
  private nextTick = 0;
  private timer: NodeJS.Timeout | undefined;
  private tone: ToneSource | undefined;
  private readonly dtmfQueue: DtmfJob[] = [];
  private sessionVersion = 0;
  private readonly sessionId = randomInt(1, 2 ** 31);
  private closed = false;

  private packets = 0;
  private readonly payloadTypes = new Set<number>();
  /** received PCMU payloads with their arrival time (ms, performance clock) */
  private readonly audio: { at: number; payload: Buffer }[] = [];
  private dtmfIn = '';
  /** telephone-event timestamps already counted: an event's end packet is sent three times */
  private readonly dtmfSeen = new Set<string>();

  private constructor(socket: Socket, host: string, port: number) {
    this.socket = socket;
    this.host = host;
    this.port = port;
    socket.on('message', (msg) => this.onMessage(msg));
    // ICMP port-unreachable from a peer that is not listening yet must not crash the test run
    socket.on('error', () => undefined);
  }

  /** Binds a UDP socket on an even free port (RTP convention; RTCP would be port+1). */
  static async open(host = '127.0.0.1'): Promise<RtpPeer> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const socket = createSocket('udp4');
      const port = await new Promise<number>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host, () => {
          socket.removeListener('error', reject);
          resolve(socket.address().port);
        });
      });
      if (port % 2 === 0) return new RtpPeer(socket, host, port);
      await new Promise<void>((r) => socket.close(() => r()));
    }
    throw new Error('RtpPeer: no even UDP port found');
  }

  /** An SDP offer or answer: audio PCMU/8000 (+ telephone-event/8000), 20 ms packets. */
  sdp(opts: RtpSdpOptions = {}): string {
    const pts = opts.payloadTypes ?? [PCMU, TELEPHONE_EVENT];
    const version = opts.sessionVersion ?? ++this.sessionVersion;
    const lines = [
      'v=0',
      `o=- ${opts.sessionId ?? this.sessionId} ${version} IN IP4 ${this.host}`,
      's=diemcau-rtp-peer',
      `c=IN IP4 ${this.host}`,
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${pts.join(' ')}`,
    ];
    if (pts.includes(PCMU)) lines.push(`a=rtpmap:${PCMU} PCMU/8000`);
    if (pts.includes(TELEPHONE_EVENT)) lines.push(`a=rtpmap:${TELEPHONE_EVENT} telephone-event/8000`, `a=fmtp:${TELEPHONE_EVENT} 0-16`);
    lines.push('a=ptime:20', `a=${opts.direction ?? 'sendrecv'}`);
    return `${lines.join('\r\n')}\r\n`;
  }

  /** Sends a sine tone (µ-law, 20 ms packets) to remote until stop(); replaces a running tone. */
  startTone(remote: RtpRemote, freqHz: number, opts: { payloadType?: typeof PCMU; amplitude?: number } = {}): void {
    this.assertOpen();
    // amplitude about -10 dBFS: loud enough for the mixer, far from clipping
    this.tone = { remote, freqHz, payloadType: opts.payloadType ?? PCMU, amplitude: opts.amplitude ?? 10_000, marker: true };
    this.schedule();
  }

  /** Sends µ-law silence (keeps the RTP stream, and FreeSWITCH's media timers, alive). */
  startSilence(remote: RtpRemote): void {
    this.startTone(remote, 0, { amplitude: 0 });
  }

  /**
   * Sends RFC 4733 telephone-events for each digit of `digits` (0-9 * # A-D): a packet per 20 ms of
   * durationMs (default 80: 3 packets, then 3 end packets carrying the final duration 640), then
   * gapMs before the next digit. They replace the audio packets meanwhile, on the same SSRC,
   * sequence and media clock. Resolves once the last end packet is sent (or on stop()).
   */
  async sendDtmf(remote: RtpRemote, digits: string, opts: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    this.assertOpen();
    const durationTicks = Math.max(1, Math.round((opts.durationMs ?? 80) / PTIME_MS));
    const gapTicks = Math.max(1, Math.round((opts.gapMs ?? 60) / PTIME_MS));
    const events = [...digits.toUpperCase()].map((d) => {
      const event = DTMF_EVENTS.indexOf(d);
      if (event < 0) throw new Error(`RtpPeer: not a DTMF digit: ${JSON.stringify(d)}`);
      return event;
    });
    if (events.length === 0) return;
    await new Promise<void>((done) => {
      events.forEach((event, i) => {
        const last = i === events.length - 1;
        this.dtmfQueue.push({ remote, event, durationTicks, gapTicks: last ? 0 : gapTicks, sent: 0, done: last ? done : () => undefined });
      });
      this.schedule();
    });
  }

  /** Stops sending (tone and pending DTMF); receiving goes on. */
  stop(): void {
    this.tone = undefined;
    for (const job of this.dtmfQueue.splice(0)) job.done();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.socket.close();
  }

  received(): RtpReceived {
    return { packets: this.packets, payloadTypes: new Set(this.payloadTypes), dtmf: this.dtmfIn };
  }

  /** Received audio of the last windowMs (by arrival time) decoded to linear PCM, in arrival order. */
  receivedPcm(windowMs = 1000): Int16Array {
    const since = performance.now() - windowMs;
    const frames = this.audio.filter((f) => f.at >= since);
    const pcm = new Int16Array(frames.reduce((n, f) => n + f.payload.length, 0));
    let i = 0;
    for (const f of frames) for (const b of f.payload) pcm[i++] = ulawDecode(b);
    return pcm;
  }

  /**
   * Share (0..1) of the power received in the last windowMs that lies at freqHz. Nothing received in
   * the window gives 0, so "the tone stopped" and "silence" both read as ~0.
   */
  toneEnergy(freqHz: number, windowMs = 1000): number {
    return toneRatio(this.receivedPcm(windowMs), freqHz);
  }

  // -------------------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error('RtpPeer is closed');
  }

  private onMessage(msg: Buffer): void {
    const p = parseRtp(msg);
    if (!p) return;
    this.packets++;
    this.payloadTypes.add(p.payloadType);
    const now = performance.now();
    if (p.payloadType === PCMU) {
      this.audio.push({ at: now, payload: Buffer.from(p.payload) });
      while (this.audio[0]!.at < now - KEEP_AUDIO_MS) this.audio.shift();
    } else if (p.payloadType === TELEPHONE_EVENT && p.payload.length >= 4 && p.payload[1]! & 0x80) {
      const key = `${p.ssrc}:${p.timestamp}`;
      if (!this.dtmfSeen.has(key)) {
        this.dtmfSeen.add(key);
        this.dtmfIn += DTMF_EVENTS[p.payload[0]!] ?? '?';
      }
    }
  }

  private busy(): boolean {
    return this.tone !== undefined || this.dtmfQueue.length > 0;
  }

  /** Drift-free pacing: each wake-up targets the absolute time of the next tick, not now + 20 ms. */
  private schedule(): void {
    if (this.timer || this.closed || !this.busy()) return;
    const nowTick = Math.floor((performance.now() - this.epoch) / PTIME_MS);
    if (this.nextTick < nowTick) this.nextTick = nowTick; // idle since: start from the present
    const wait = this.epoch + this.nextTick * PTIME_MS - performance.now();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.tick();
        this.schedule();
      },
      Math.max(0, wait),
    );
  }

  private tick(): void {
    const dueTick = Math.floor((performance.now() - this.epoch) / PTIME_MS);
    // a stall longer than MAX_BURST packets: skip ahead; the timestamp keeps following real time
    if (dueTick - this.nextTick >= MAX_BURST) this.nextTick = dueTick - MAX_BURST + 1;
    while (this.nextTick <= dueTick && this.busy()) {
      this.sendTick(this.nextTick);
      this.nextTick++;
    }
  }

  private sendTick(tick: number): void {
    const timestamp = (this.timestampBase + tick * SAMPLES_PER_PACKET) >>> 0;
    const job = this.dtmfQueue[0];
    const eventPackets = job ? job.durationTicks - 1 + END_PACKETS : 0;
    if (job && job.sent < eventPackets) {
      job.startTick ??= tick;
      // event packets carry the event's start timestamp and the duration so far (RFC 4733 §2.5)
      const ticks = Math.min(job.sent + 1, job.durationTicks);
      const end = job.sent >= job.durationTicks - 1;
      const payload = Buffer.from([job.event, (end ? 0x80 : 0) | 10, 0, 0]);
      payload.writeUInt16BE(ticks * SAMPLES_PER_PACKET, 2);
      const eventTs = (this.timestampBase + job.startTick * SAMPLES_PER_PACKET) >>> 0;
      this.send(job.remote, TELEPHONE_EVENT, job.sent === 0, eventTs, payload);
      job.sent++;
      if (job.sent === eventPackets) {
        if (this.tone) this.tone.marker = true; // audio resumes: a new talkspurt
        if (job.gapTicks === 0) {
          this.dtmfQueue.shift();
          job.done();
        }
      }
      return;
    }
    if (job && job.sent++ >= eventPackets + job.gapTicks - 1) {
      // the gap after a digit is over (the tone, if any, played during it)
      this.dtmfQueue.shift();
      job.done();
    }
    const tone = this.tone;
    if (!tone) return;
    const payload = Buffer.alloc(SAMPLES_PER_PACKET);
    const w = (2 * Math.PI * tone.freqHz) / RATE;
    // phase from the absolute sample index: continuous across packets, stalls and DTMF
    const first = tick * SAMPLES_PER_PACKET;
    for (let i = 0; i < SAMPLES_PER_PACKET; i++) payload[i] = ulawEncode(tone.amplitude * Math.sin(w * (first + i)));
    this.send(tone.remote, tone.payloadType, tone.marker, timestamp, payload);
    tone.marker = false;
  }

  private send(remote: RtpRemote, payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    const header = Buffer.alloc(12);
    header[0] = 0x80; // V=2, no padding, no extension, no CSRC
    header[1] = (marker ? 0x80 : 0) | payloadType;
    header.writeUInt16BE(this.sequence, 2);
    header.writeUInt32BE(timestamp, 4);
    header.writeUInt32BE(this.ssrc, 8);
    this.sequence = (this.sequence + 1) & 0xffff;
    this.socket.send(Buffer.concat([header, payload]), remote.port, remote.host);
  }
}

/** The audio RTP address in an SDP body (m=audio port; media-level c= over session-level). */
export function sdpAudioTarget(sdp: string): RtpRemote {
  let section: 'session' | 'audio' | 'other' = 'session';
  let sessionHost: string | undefined;
  let audioHost: string | undefined;
  let port: number | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (port !== undefined) break; // the first audio stream is the one
      const m = /^m=audio (\d+) /.exec(line);
      section = m ? 'audio' : 'other';
      if (m) port = Number(m[1]);
      continue;
    }
    const c = /^c=IN IP4 (\S+)/.exec(line);
    if (c && section === 'session') sessionHost = c[1];
    if (c && section === 'audio') audioHost = c[1];
  }
  const host = audioHost ?? sessionHost;
  if (!host || port === undefined) throw new Error(`no audio address in SDP:\n${sdp}`);
  return { host, port };
}

/** An even UDP port free a moment ago: for a sender (ffmpeg) that binds its own. */
export async function freeEvenPort(): Promise<number> {
  const peer = await RtpPeer.open();
  const port = peer.port;
  peer.close();
  return port;
}
