/**
 * The SDP of the join page's content session (docs/content-sharing.md, "Browsers"): one H.264 video
 * line marked `a=content:slides` (RFC 4796), whose direction is the floor request. Pure: no DOM, so
 * the server's tests run it on the SDP Chromium writes.
 */

/** `sendonly`: this page shares its screen (asks for the floor); `recvonly`: it watches. */
export type ContentDirection = 'sendonly' | 'recvonly';

export class ContentSdpError extends Error {
  override readonly name = 'ContentSdpError';
}

const DIRECTION = /^a=(?:sendrecv|sendonly|recvonly|inactive)$/;

/**
 * Makes a local description the content line the bridge expects: the first video m-line alone (an
 * audio or data line has no place in a content session), marked `a=content:slides`, in `direction`
 * (null: as the browser wrote it, for an answer, where the offer decides), and the BUNDLE group
 * reduced to that line. Chromium drops attributes it does not know from its own descriptions, so
 * this is applied to the SDP as sent, after ICE gathering.
 */
export function contentSdp(sdp: string, direction: ContentDirection | null): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  if (!lines[0]?.startsWith('v=') || firstMedia < 0) throw new ContentSdpError('not a session description with media');
  const sections: string[][] = [];
  for (const line of lines.slice(firstMedia)) {
    if (line.startsWith('m=')) sections.push([line]);
    else sections[sections.length - 1]!.push(line);
  }
  const video = sections.find((s) => /^m=video [1-9]\d* /.test(s[0]!));
  if (!video) throw new ContentSdpError('no video line to carry the content');

  const mid = video.find((l) => l.startsWith('a=mid:'))?.slice('a=mid:'.length);
  const session = lines.slice(0, firstMedia).flatMap((l) => {
    if (!l.startsWith('a=group:BUNDLE')) return [l];
    return mid !== undefined && l.split(' ').slice(1).includes(mid) ? [`a=group:BUNDLE ${mid}`] : [];
  });
  const original = video.find((l) => DIRECTION.test(l)) ?? 'a=sendrecv';
  const media = [
    video[0]!,
    ...video.slice(1).filter((l) => !DIRECTION.test(l) && !l.startsWith('a=content:')),
    'a=content:slides',
    direction ? `a=${direction}` : original,
  ];
  return [...session, ...media].join(eol) + eol;
}

/** The part of RTCRtpCodecCapability that ordering needs, so this stays free of DOM types. */
export interface CodecCapability {
  mimeType: string;
  sdpFmtpLine?: string;
}

/**
 * Codec preferences for the content transceiver: H.264 packetization-mode=1 first (what room
 * systems send content in, and the bridge's content legs forward it untouched), then the other
 * H.264 variants, then everything else as the browser ordered it. Stable, so among equals the
 * browser's preference (Constrained Baseline before Main, say) stands.
 */
export function h264First<T extends CodecCapability>(codecs: readonly T[]): T[] {
  const rank = (c: T): number => {
    if (c.mimeType.toLowerCase() !== 'video/h264') return 2;
    return /(?:^|;)\s*packetization-mode=1(?:;|$)/.test(c.sdpFmtpLine ?? '') ? 0 : 1;
  };
  return codecs
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}
