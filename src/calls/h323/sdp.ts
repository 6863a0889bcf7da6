/**
 * An H.323 endpoint's media in SDP terms and back, for its FreeSWITCH leg: RTP addresses and
 * formats only (fast start and H.245 give nothing else).
 */
import type { AudioCodecName, H323Media, IpPort, ReceiveOffer } from '../../h323';
import { mediaLines } from '../sdp';

/** The audio formats H.323 carries here, with their static RTP payload types (RFC 3551). */
const payloadTypes: Readonly<Record<AudioCodecName, number>> = { PCMU: 0, PCMA: 8, G722: 9 };
const AUDIO = Object.keys(payloadTypes) as AudioCodecName[];
const byPayloadType = (pt: string): AudioCodecName | undefined => AUDIO.find((c) => String(payloadTypes[c]) === pt);

/** What FreeSWITCH is told of the endpoint: where it receives, in which formats. */
export function sdpFor(media: H323Media): string {
  const lines = ['v=0', 'o=diemcau-h323 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0'];
  if (media.audio) {
    const pt = payloadTypes[media.audio.codec];
    // G.722's RTP clock is 8000 Hz although it samples at 16 kHz (RFC 3551 §4.5.2).
    lines.push(`m=audio ${media.audio.port} RTP/AVP ${pt}`, `c=IN IP4 ${media.audio.ip}`, `a=rtpmap:${pt} ${media.audio.codec}/8000`, 'a=sendrecv');
  }
  if (media.video) {
    const v = media.video;
    lines.push(
      `m=video ${v.port} RTP/AVP ${v.payloadType}`,
      `c=IN IP4 ${v.ip}`,
      `a=rtpmap:${v.payloadType} H264/90000`,
      `a=fmtp:${v.payloadType} packetization-mode=1${v.profileLevelId ? `;profile-level-id=${v.profileLevelId}` : ''}`,
      'a=sendrecv',
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Where FreeSWITCH receives each stream, from its answer, in the endpoint's terms. */
export function answerMedia(sdp: string, offered: H323Media): H323Media {
  const sessionIp = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const blocks = sdp.split(/\r?\n(?=m=)/).slice(1);
  const find = (kind: string) => {
    const block = blocks.find((b) => b.startsWith(`m=${kind} `));
    const line = block && mediaLines(block)[0];
    if (!block || !line || line.port === 0) return undefined;
    return { ip: /^c=IN IP4 (\S+)/m.exec(block)?.[1] ?? sessionIp ?? '', port: line.port };
  };
  const audio = find('audio');
  const video = find('video');
  return {
    ...(audio && offered.audio && { audio: { ...audio, codec: offered.audio.codec } }),
    ...(video &&
      offered.video && {
        video: { ...video, payloadType: offered.video.payloadType, ...(offered.video.profileLevelId && { profileLevelId: offered.video.profileLevelId }) },
      }),
  };
}

/** FreeSWITCH's 3PCC offer in H.323 terms: where it receives, and the formats it takes. */
export function offerAddresses(sdp: string): Partial<ReceiveOffer> {
  const sessionIp = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const blocks = sdp.split(/\r?\n(?=m=)/).slice(1);
  const block = (kind: string) => blocks.find((b) => b.startsWith(`m=${kind} `));
  const at = (b: string): IpPort | undefined => {
    const port = Number(/^m=\w+ (\d+)/.exec(b)?.[1] ?? 0);
    const ip = /^c=IN IP4 (\S+)/m.exec(b)?.[1] ?? sessionIp;
    return port > 0 && ip ? { ip, port } : undefined;
  };
  const out: { audio?: IpPort & { codecs: AudioCodecName[] }; video?: IpPort & { payloadType: number } } = {};
  const a = block('audio');
  const aAt = a && at(a);
  if (a && aAt) {
    const pts = /^m=audio \d+ \S+ (.*)$/m.exec(a)?.[1]?.trim().split(/\s+/) ?? [];
    const names = pts.map((pt) => new RegExp(`^a=rtpmap:${pt} ([^/\\s]+)`, 'm').exec(a)?.[1]?.toUpperCase() ?? byPayloadType(pt));
    // In FreeSWITCH's order, only the formats fast start can carry.
    const codecs = names.filter((n): n is AudioCodecName => AUDIO.includes(n as AudioCodecName));
    if (codecs.length) out.audio = { ...aAt, codecs: [...new Set(codecs)] };
  }
  const v = block('video');
  const vAt = v && at(v);
  const h264 = v && /^a=rtpmap:(\d+) H264\/90000/im.exec(v)?.[1];
  if (vAt && h264) out.video = { ...vAt, payloadType: Number(h264) };
  return out;
}
