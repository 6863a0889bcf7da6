import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type Srf from 'drachtio-srf';
import type { SipDialog } from '../../src/calls/sip/srf-types';
import { BfcpClient } from './bfcp-client';
import { H264Receiver, sendH264, withH264Video } from './h264-peer';
import { RtpPeer, sdpAudioTarget, type RtpRemote } from './rtp-peer';
import { freePort } from './stack';

/**
 * A scripted SIP room system that shares content the way Poly, Cisco and Yealink units do: audio, a
 * main H.264 camera line, a second H.264 line marked `a=content:slides`, and a BFCP line over UDP or
 * TCP bound to it (RFC 8856). What the bridge sends on each video line is counted (H264Receiver); it
 * presents by taking the floor over BFCP and sending H.264 (ffmpeg) to the bridge's content line.
 */

export type BfcpTransport = 'udp' | 'tcp';

export interface ContentRoomOptions {
  /** `ip:port` of the bridge's SIP listener. */
  target: string;
  room: number;
  /** Digest credentials of its directory site. */
  username: string;
  password: string;
  /** The BFCP transport it offers; null: a room system without content (audio and one video line). */
  bfcp: BfcpTransport | null;
}

/** The bridge's BFCP line in an answer (RFC 8856 attributes). */
export interface BfcpAnswer {
  proto: string;
  host: string;
  port: number;
  conferenceId: number;
  userId: number;
  floorId: number;
  floorctrl: string | null;
  setup: string | null;
}

const CONTENT_PT = 97;
const PICTURE_FAST_UPDATE =
  '<?xml version="1.0" encoding="utf-8" ?>\n<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\n';
const H264_FMTP = 'profile-level-id=42e01f;packetization-mode=1';

export class ContentRoom {
  #bfcp: BfcpClient | null = null;
  #senders: ChildProcess[] = [];
  #relays: Socket[] = [];
  #closed = false;

  private constructor(
    readonly name: string,
    readonly dialog: Srf.Dialog,
    /** What the room system sent: its offer when it dialled in, its answer when the bridge dialled. */
    readonly offer: string,
    readonly audio: RtpPeer,
    /** What the bridge sends on the main video line. */
    readonly main: H264Receiver,
    /** What the bridge sends on the content line; null without content. */
    readonly content: H264Receiver | null,
    /** The bridge's offer, when the bridge dialled. */
    private bridgeOffer: string | null = null,
  ) {
    dialog.on('info', (req, res) => {
      if (/picture_fast_update/.test(req.body ?? '')) this.#keyframeInfos++;
      res.send(200);
    });
  }

  #keyframeInfos = 0;

  /** Keyframe requests the bridge sent: SIP INFO picture_fast_update, and RTCP FIR/PLI on the content line. */
  keyframeRequests(): number {
    return this.#keyframeInfos + (this.content ? this.content.feedback.pli + this.content.feedback.fir : 0);
  }

  /** Asks for a keyframe as room systems without RTCP feedback do: SIP INFO picture_fast_update (RFC 5168). */
  async requestKeyframeByInfo(): Promise<void> {
    const dialog = this.dialog as unknown as SipDialog;
    await dialog.request({ method: 'INFO', headers: { 'Content-Type': 'application/media_control+xml' }, body: PICTURE_FAST_UPDATE });
  }

  /** Dials the room as the directory site; resolves once the call is answered. */
  static async dialIn(srf: Srf, o: ContentRoomOptions): Promise<ContentRoom> {
    const audio = await RtpPeer.open();
    const main = await H264Receiver.open();
    const content = o.bfcp ? await H264Receiver.open('127.0.0.1', { rtcp: true }) : null;
    try {
      let sdp = withH264Video(audio.sdp(), { port: main.port, fmtp: H264_FMTP });
      if (content && o.bfcp) sdp = withContentLines(sdp, content.port, o.bfcp);
      const dialog = await srf.createUAC(`sip:${o.room}@${o.target}`, {
        localSdp: sdp,
        headers: { From: `"${o.username}" <sip:${o.username}@caller.test>`, 'User-Agent': 'diemcau-test-room (BFCP)' },
        auth: { username: o.username, password: o.password },
      });
      audio.startSilence(sdpAudioTarget(dialog.remote.sdp));
      return new ContentRoom(o.username, dialog, sdp, audio, main, content);
    } catch (err) {
      audio.close();
      main.close();
      content?.close();
      throw err;
    }
  }

  /**
   * A room system the bridge dials: `answer` is its answer to the bridge's offer (audio, the main
   * H.264 line, and, when `bfcp`, the content line and a BFCP client line over UDP), `room` makes
   * the ContentRoom once the dialog exists.
   */
  static async answering(name: string, offer: string, bfcp: boolean): Promise<{ answer: string; room(dialog: Srf.Dialog): ContentRoom }> {
    const audio = await RtpPeer.open();
    const main = await H264Receiver.open();
    const content = bfcp ? await H264Receiver.open('127.0.0.1', { rtcp: true }) : null;
    audio.startSilence(sdpAudioTarget(offer));
    const answer = answerTo(offer, audio, main, content);
    return { answer, room: (dialog) => new ContentRoom(name, dialog, answer, audio, main, content, offer) };
  }

  /**
   * Answers the bridge's re-INVITEs as it answered its first offer (the bridge moving the call to
   * another media server): its audio goes where the new offer says, and the next floor client
   * speaks to the BFCP user the new offer names.
   */
  followMoves(): void {
    this.dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      this.reinvites++;
      if (this.bridgeOffer !== null) this.bridgeOffer = req.body;
      this.audio.startSilence(sdpAudioTarget(req.body));
      void this.#bfcp?.close();
      this.#bfcp = null;
      res.send(200, { body: answerTo(req.body, this.audio, this.main, this.content) });
    });
  }

  /** re-INVITEs answered since followMoves(). */
  reinvites = 0;

  /** The bridge's SDP: its answer when the room dialled in, its offer when the bridge dialled. */
  get answer(): string {
    return this.bridgeOffer ?? this.dialog.remote.sdp;
  }

  /** The bridge's BFCP line, or null when it refused it (port 0) or there is none. */
  bfcpAnswer(): BfcpAnswer | null {
    return parseBfcpAnswer(this.answer);
  }

  /** Connects to the bridge's floor control server as the user the answer names, and says Hello. */
  async floorClient(): Promise<BfcpClient> {
    if (this.#bfcp) return this.#bfcp;
    const b = this.bfcpAnswer();
    if (!b) throw new Error(`${this.name}: the answer has no BFCP line:\n${this.answer}`);
    const opts = { conferenceId: b.conferenceId, userId: b.userId };
    const client = b.proto.startsWith('TCP') ? await BfcpClient.tcp(b.host, b.port, opts) : await BfcpClient.udp(b.host, b.port, opts);
    this.#bfcp = client;
    const hello = await client.request({ primitive: 'Hello' });
    if (hello.primitive !== 'HelloAck') throw new Error(`${this.name}: Hello answered ${hello.primitive}`);
    return client;
  }

  /** The floor id the answer binds to the content line. */
  get floorId(): number {
    return this.bfcpAnswer()?.floorId ?? 1;
  }

  /**
   * Sends H.264 (an ffmpeg lavfi `source`) to the bridge's content line, from the content line's own
   * port as a room system does: ffmpeg's RTP is passed on through the content receiver's socket (the
   * bridge's media servers latch on to where RTP comes from).
   */
  async startContent(ffmpeg: string, source: string): Promise<void> {
    const remote = contentTarget(this.answer);
    const rx = this.content;
    if (!remote || !rx) throw new Error(`${this.name}: the answer has no content line:\n${this.answer}`);
    const relay = createSocket('udp4');
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
    relay.on('message', (packet) => rx.send(packet, remote));
    this.#relays.push(relay);
    const { port } = relay.address();
    this.#senders.push(
      sendH264(ffmpeg, { host: '127.0.0.1', port }, { localPort: await freePort({ udp: true }), payloadType: CONTENT_PT, kbps: 1000, source }),
    );
  }

  stopContent(): void {
    for (const s of this.#senders.splice(0)) s.kill('SIGKILL');
    for (const r of this.#relays.splice(0)) r.close();
  }

  /** Hangs up (BYE) and closes every socket and sender; twice is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.stopContent();
    await Promise.resolve(this.dialog.destroy()).catch(() => undefined);
    await this.#bfcp?.close();
    this.audio.close();
    this.main.close();
    this.content?.close();
  }
}

/** The room's answer to a bridge's offer: audio, the main H.264 line, then its content and BFCP lines, or each refused. */
function answerTo(offer: string, audio: RtpPeer, main: H264Receiver, content: H264Receiver | null): string {
  let answer = withH264Video(audio.sdp(), { port: main.port, fmtp: H264_FMTP });
  const offered = sections(offer).media.map((m) => /^m=(\w+) \d+ (\S+)/.exec(m) ?? ['', '', '']);
  for (const [, kind, proto] of offered.slice(2)) {
    if (kind === 'video' && content) answer = `${answer.trimEnd()}\r\n${contentLines(content.port).join('\r\n')}\r\n`;
    else if (kind === 'application' && content)
      answer = `${answer.trimEnd()}\r\nm=application ${content.port + 2} UDP/BFCP *\r\na=floorctrl:c-only\r\na=floorid:1 mstrm:3\r\n`;
    else answer = `${answer.trimEnd()}\r\nm=${kind} 0 ${proto} ${kind === 'application' ? '*' : '0'}\r\n`;
  }
  return answer;
}

/** The offer's content and BFCP lines, as a Poly or Cisco room system writes them. */
function contentLines(port: number): string[] {
  return [
    `m=video ${port} RTP/AVP ${CONTENT_PT}`,
    `a=rtpmap:${CONTENT_PT} H264/90000`,
    `a=fmtp:${CONTENT_PT} ${H264_FMTP}`,
    `a=rtcp-fb:${CONTENT_PT} ccm fir`,
    `a=rtcp-fb:${CONTENT_PT} nack pli`,
    'a=content:slides',
    'a=label:3',
    'a=sendrecv',
  ];
}

export function withContentLines(sdp: string, contentPort: number, bfcp: BfcpTransport): string {
  const lines = [
    ...contentLines(contentPort),
    bfcp === 'tcp' ? 'm=application 9 TCP/BFCP *' : `m=application ${contentPort + 2} UDP/BFCP *`,
    'a=floorctrl:c-only',
    ...(bfcp === 'tcp' ? ['a=setup:active', 'a=connection:new'] : []),
    'a=floorid:1 mstrm:3',
  ];
  return `${sdp.trimEnd()}\r\n${lines.join('\r\n')}\r\n`;
}

function sections(sdp: string): { session: string; media: string[] } {
  const [session = '', ...media] = sdp.split(/\r?\n(?=m=)/);
  return { session, media };
}

function connection(section: string, session: string): string | undefined {
  return /^c=IN IP[46] (\S+)/m.exec(section)?.[1] ?? /^c=IN IP[46] (\S+)/m.exec(session)?.[1];
}

export function parseBfcpAnswer(sdp: string): BfcpAnswer | null {
  const { session, media } = sections(sdp);
  const line = media.find((m) => /^m=application \d+ \S*BFCP/.test(m));
  const m = line && /^m=application (\d+) (\S+)/.exec(line);
  if (!line || !m || m[1] === '0') return null;
  const attr = (name: string) => new RegExp(`^a=${name}:(.*)$`, 'm').exec(line)?.[1]?.trim() ?? null;
  const host = connection(line, session);
  if (!host) return null;
  return {
    proto: m[2]!,
    host,
    port: Number(m[1]),
    conferenceId: Number(attr('confid')),
    userId: Number(attr('userid')),
    floorId: Number(attr('floorid')?.split(/\s+/)[0]),
    floorctrl: attr('floorctrl'),
    setup: attr('setup'),
  };
}

/** Where the bridge wants the content line's RTCP: its `a=rtcp` port, else the RTP port + 1. */
export function contentRtcpTarget(sdp: string): RtpRemote | null {
  const rtp = contentTarget(sdp);
  const line = sections(sdp).media.find((m) => m.startsWith('m=video ') && /^a=content:slides/m.test(m));
  const port = Number(/^a=rtcp:(\d+)/m.exec(line ?? '')?.[1] ?? 0);
  return rtp && { host: rtp.host, port: port || rtp.port + 1 };
}

/** Where the bridge wants the content line's RTP: the video line marked `a=content:slides`. */
export function contentTarget(sdp: string): RtpRemote | null {
  const { session, media } = sections(sdp);
  const line = media.find((m) => m.startsWith('m=video ') && /^a=content:slides/m.test(m));
  const port = Number(/^m=video (\d+)/.exec(line ?? '')?.[1] ?? 0);
  const host = line && connection(line, session);
  return port && host ? { host, port } : null;
}
