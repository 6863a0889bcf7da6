/**
 * Content sharing in SDP when the bridge dials a room system (the bridge offers). Pure: no I/O.
 *
 * FreeSWITCH makes the main offer (3PCC). For the content line the bridge first gives FreeSWITCH's
 * content leg a placeholder video-only offer; FreeSWITCH's answer to it is where the content leg
 * receives and what it sends, so that answer becomes the content line of the bridge's offer, next
 * to the BFCP line the bridge serves. The room system's answer is then split back: main sections
 * to the main channel, the content section to the content leg.
 */
import { type BfcpServer, bfcpOffer, bfcpServerSection, isBfcp } from './bfcp-sdp';
import {
  ContentSdpError,
  connectionAddress,
  connectionLine,
  freshLabel,
  hasOrigin,
  isAddress,
  isSlides,
  type ParsedSdp,
  parseSdp,
  type Section,
  serialize,
  withConnection,
  withoutAttrs,
  withoutDuplicateBandwidth,
} from './sdp-lines';

/**
 * H.264 as room systems take it for slides: packetization modes 1 and 0 (older Poly and Tandberg
 * decode only 0), constrained baseline (42e01f) and baseline (42801f) at level 3.1; NACK/PLI and
 * FIR so that a receiver can ask the content leg for a key frame.
 */
const PLACEHOLDER_FORMATS = [
  ['97', 'profile-level-id=42e01f;packetization-mode=1'],
  ['98', 'profile-level-id=42e01f;packetization-mode=0'],
  ['99', 'profile-level-id=42801f;packetization-mode=1'],
  ['100', 'profile-level-id=42801f;packetization-mode=0'],
] as const;

/**
 * A video-only H.264 offer for FreeSWITCH's content leg, whose answer becomes the content line of
 * the bridge's offer. Port 9 (discard) on the bridge's own address: FreeSWITCH may send before the
 * room system answers, and that goes nowhere. Throws ContentSdpError('bad-parameter') for an
 * address that is not one.
 */
export function contentLegPlaceholderOffer(o: { address: string }): string {
  if (!isAddress(o.address)) throw new ContentSdpError('bad-parameter', `${JSON.stringify(o.address)} is not an address`);
  const ip = o.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=diemcau 1 1 IN ${ip} ${o.address}`,
    's=diemcau content',
    connectionLine(o.address),
    't=0 0',
    `m=video 9 RTP/AVP ${PLACEHOLDER_FORMATS.map(([pt]) => pt).join(' ')}`,
    ...PLACEHOLDER_FORMATS.flatMap(([pt, fmtp]) => [`a=rtpmap:${pt} H264/90000`, `a=fmtp:${pt} ${fmtp}`]),
    'a=rtcp-fb:* nack pli',
    'a=rtcp-fb:* ccm fir',
    'a=sendrecv',
  ];
  return serialize(lines, [], '\r\n');
}

export interface ContentOfferInput {
  /** FreeSWITCH's main channel's offer. */
  mainOffer: string;
  /** FreeSWITCH's content leg's answer to contentLegPlaceholderOffer. */
  contentLine: string;
  bfcp: BfcpServer & { proto: 'UDP/BFCP' | 'TCP/BFCP' };
}

/**
 * The bridge's offer to a room system: FreeSWITCH's main offer as it is, then the content line
 * (sendrecv, `a=content:slides`, a fresh a=label) and the BFCP line whose floor names that label.
 * Throws ContentSdpError: 'bad-sdp' (main offer without session part), 'no-content-video' (no
 * active video line in `contentLine`), 'bad-parameter' (BFCP parameters out of range).
 */
export function buildContentOffer(o: ContentOfferInput): string {
  const main = parseSdp(o.mainOffer);
  if (!hasOrigin(main)) throw new ContentSdpError('bad-sdp', "FreeSWITCH's main offer has no session part");
  const leg = parseSdp(o.contentLine);
  const video = leg.media.find((s) => s.kind === 'video' && s.port > 0);
  if (!video) throw new ContentSdpError('no-content-video', "FreeSWITCH's content leg answered no video");
  const contentLabel = freshLabel([main], main.media.length + 1);
  const content = [
    // The leg answered a placeholder whose direction means nothing here: slides go both ways.
    ...withoutAttrs(video.lines, ['content', 'label', 'sendrecv', 'sendonly', 'recvonly', 'inactive']),
    'a=sendrecv',
    'a=content:slides',
    `a=label:${contentLabel}`,
  ];
  const address = connectionAddress(video.lines) ?? connectionAddress(leg.session);
  const sections = [
    ...main.media.map((s) => s.lines),
    withoutDuplicateBandwidth(withConnection(content, address)),
    bfcpServerSection(o.bfcp.proto, o.bfcp, contentLabel),
  ];
  return serialize(main.session, sections, main.eol);
}

export interface ContentAnswerSplit {
  /** The answer without the content and BFCP sections, for the main channel whose offer had neither. */
  main: string;
  /** The content section as a video-only SDP for the content leg; null when refused (port 0) or absent. */
  contentAnswer: string | null;
  /** The room system's BFCP line; null when refused or absent. */
  bfcp: { proto: string; port: number; address: string; setup: string | null } | null;
}

/**
 * A room system's answer to buildContentOffer's offer, split back by position (RFC 3264 pairs
 * sections by their order). Garbage, or an answer with fewer sections, gives what is there:
 * missing content or BFCP sections are null.
 */
export function splitContentAnswer(answer: string, offer: string): ContentAnswerSplit {
  const offered = parseSdp(offer).media;
  const contentAt = offered.find((s) => s.kind === 'video' && isSlides(s))?.index ?? -1;
  const bfcpAt = offered.find(isBfcp)?.index ?? -1;
  const sdp = parseSdp(answer);
  const at = (i: number) => sdp.media[i] ?? null;
  const main = sdp.media.filter((s) => s.index !== contentAt && s.index !== bfcpAt).map((s) => s.lines);
  return {
    main: serialize(sdp.session, main, sdp.eol),
    contentAnswer: contentLeg(sdp, at(contentAt)),
    bfcp: bfcpAnswer(sdp, at(bfcpAt)),
  };
}

function contentLeg(sdp: ParsedSdp, s: Section | null): string | null {
  if (s?.kind !== 'video' || s.port <= 0) return null;
  return serialize(sdp.session, [withoutAttrs(s.lines, ['content', 'label'])], sdp.eol);
}

function bfcpAnswer(sdp: ParsedSdp, s: Section | null): ContentAnswerSplit['bfcp'] {
  if (!s || !isBfcp(s) || s.port <= 0) return null;
  const b = bfcpOffer(s, sdp.session);
  return { proto: b.proto, port: b.port, address: b.address, setup: b.setup };
}
