/**
 * Content sharing in SDP, for a room system's call into the bridge (the bridge answers). Pure: no I/O.
 *
 * A room system offers audio, main video, a second video line for slides (RFC 4796
 * `a=content:slides`) and a BFCP line (RFC 8856) whose floor names the slides line by its a=label
 * (`a=floorid:<id> mstrm:<label>`). FreeSWITCH takes one video line per channel and knows no
 * BFCP, so the offer is split three ways: the main sections go to the main channel, the slides
 * line (as a video-only offer) to a second channel (the content leg), and the bridge answers the
 * BFCP line itself as floor control server. The answer is then put back together in the offer's
 * order. The outgoing direction (the bridge offers) is in content-outgoing.ts.
 */
import { type BfcpOffer, type BfcpServer, bfcpOffer, bfcpServable, bfcpServerSection, floorLabels, isBfcp } from './bfcp-sdp';
import {
  attrValues,
  ContentSdpError,
  connectionAddress,
  freshLabel,
  hasOrigin,
  isSlides,
  label,
  type ParsedSdp,
  parseSdp,
  refused,
  type Section,
  serialize,
  withConnection,
  withoutAttrs,
  withoutDuplicateBandwidth,
} from './sdp-lines';
import { staticName } from '../sdp';

export type { BfcpConnection, BfcpOffer, BfcpServer, BfcpSetup, FloorId } from './bfcp-sdp';
export { bfcpServable } from './bfcp-sdp';
export { ContentSdpError } from './sdp-lines';

export interface ContentVideoOffer {
  /** Position among the offer's m= lines. */
  index: number;
  /** The session part and this section alone: a video-only offer for FreeSWITCH's content leg. */
  legOffer: string;
  label: string | null;
  port: number;
}

export interface ContentOffer {
  /** null: no active slides line (none, or port 0). */
  video: ContentVideoOffer | null;
  /** null: no active BFCP line. */
  bfcp: BfcpOffer | null;
  /** m= lines in the offer. */
  sections: number;
}

/** Which sections of an offer are content, and which the main channel must not see. */
interface Located {
  content: Section | null;
  bfcp: Section | null;
  /** Sections left out of the main channel's offer: the content line and every BFCP line. */
  removed: Set<number>;
}

/**
 * - BFCP: the first BFCP line with a port; every BFCP line, disabled ones too, is kept from the
 *   main channel, because FreeSWITCH's SDP parser (sofia-sip) does not know BFCP protos.
 * - content: among two or more video lines (with one, it is the main video, whatever it says),
 *   the one marked `a=content:slides`; else the one a floor's mstrm names (not one marked main).
 *   It is taken even with port 0, so that FreeSWITCH never sees a second video line; it is then
 *   refused in the answer.
 */
function locate(media: readonly Section[]): Located {
  const bfcps = media.filter(isBfcp);
  const bfcp = bfcps.find((s) => s.port > 0) ?? null;
  const labels = bfcp ? floorLabels(bfcp.lines) : new Set<string>();
  const videos = media.filter((s) => s.kind === 'video');
  const candidates = videos.length > 1 ? videos : [];
  const named = (s: Section) => {
    const l = label(s);
    return l !== null && labels.has(l) && !attrValues(s.lines, 'content').some((v) => v.split(',').includes('main'));
  };
  const content = candidates.find(isSlides) ?? candidates.find(named) ?? null;
  const removed = new Set(bfcps.map((s) => s.index));
  if (content) removed.add(content.index);
  return { content, bfcp, removed };
}

/**
 * A room system's offer split for FreeSWITCH. `content` is null exactly when `main` is the offer
 * itself (nothing to take out); otherwise `main` is the offer without the content and BFCP
 * sections, its session part and every other line untouched. Garbage gives `{ main: offer, content: null }`.
 */
export function splitContentOffer(offer: string): { main: string; content: ContentOffer | null } {
  const sdp = parseSdp(offer);
  const at = locate(sdp.media);
  if (!at.removed.size) return { main: offer, content: null };
  const kept = sdp.media.filter((s) => !at.removed.has(s.index)).map((s) => s.lines);
  const video = at.content && at.content.port > 0 ? contentVideo(sdp, at.content) : null;
  return {
    main: serialize(sdp.session, kept, sdp.eol),
    content: { video, bfcp: at.bfcp ? bfcpOffer(at.bfcp, sdp.session) : null, sections: sdp.media.length },
  };
}

function contentVideo(sdp: ParsedSdp, s: Section): ContentVideoOffer {
  // a=content/a=label mean nothing to FreeSWITCH in a one-video offer; out, so its answer carries none.
  const legOffer = serialize(sdp.session, [withoutAttrs(s.lines, ['content', 'label'])], sdp.eol);
  return { index: s.index, legOffer, label: label(s), port: s.port };
}

/** Whether an SDP has an active content line or BFCP line. */
export function hasContent(sdp: string): boolean {
  const content = splitContentOffer(sdp).content;
  return !!content && (content.video !== null || content.bfcp !== null);
}

export interface Codec {
  pt: string;
  /** Upper case, as in a=rtpmap (static payload types by their RFC 3551 name). */
  name: string;
  fmtp: string | null;
}

/**
 * The formats of an SDP's content line, in preference order: the slides line of a full offer or
 * answer, or the only video line of a content leg's SDP (or of a bare m= section).
 */
export function contentCodecs(sdp: string): Codec[] {
  const media = parseSdp(sdp).media;
  const s = locate(media).content ?? media.find((m) => m.kind === 'video');
  if (!s) return [];
  const rtpmap = (pt: string) => attrValues(s.lines, 'rtpmap').find((v) => v.startsWith(`${pt} `));
  return s.formats
    .filter((pt) => /^\d{1,3}$/.test(pt))
    .map((pt) => {
      const name =
        rtpmap(pt)
          ?.slice(pt.length + 1)
          .split('/')[0]
          ?.toUpperCase() || staticName(pt);
      const fmtp = attrValues(s.lines, 'fmtp').find((v) => v.startsWith(`${pt} `));
      return { pt, name, fmtp: fmtp ? fmtp.slice(pt.length + 1).trim() : null };
    });
}

export interface ContentAnswerInput {
  /** The room system's offer, as received. */
  offer: string;
  /** FreeSWITCH's main channel's answer to splitContentOffer's `main`. */
  mainAnswer: string;
  /** FreeSWITCH's content leg's answer to `content.video.legOffer`; null: no content leg. */
  contentAnswer: string | null;
  /** The bridge's floor control server for this call; null: BFCP not served. */
  bfcp: BfcpServer | null;
}

/**
 * The answer to the room system: one section per offered m= line, in the offer's order (RFC 3264
 * §6) — FreeSWITCH's main answer's sections in order, the content leg's video section marked as
 * slides with the offer's label, the bridge's BFCP section, and port 0 for any offered section
 * with no answer. Session part (o=, s=, c=, t=) from FreeSWITCH's main answer.
 * Throws ContentSdpError('bad-sdp') when the main answer has no session part; any failure of the
 * content leg or the BFCP line only refuses that line.
 */
export function buildContentAnswer(o: ContentAnswerInput): string {
  const offer = parseSdp(o.offer);
  const main = parseSdp(o.mainAnswer);
  if (!hasOrigin(main)) throw new ContentSdpError('bad-sdp', "FreeSWITCH's main answer has no session part");
  const at = locate(offer.media);
  const leg = o.contentAnswer === null ? null : parseSdp(o.contentAnswer);
  const contentLabel = at.content ? (label(at.content) ?? freshLabel([offer, main], offer.media.length)) : null;
  const content = at.content && at.content.port > 0 && leg ? contentSection(leg, contentLabel!) : null;
  const bfcp = at.bfcp && o.bfcp ? bfcpSection(at.bfcp, offer, o.bfcp, content ? contentLabel : null) : null;
  const mainAnswers = main.media.values();
  const sections = offer.media.map((s): string[] => {
    if (!at.removed.has(s.index)) return mainAnswers.next().value?.lines ?? refused(s);
    if (s === at.content) return content ?? refused(s);
    if (s === at.bfcp) return bfcp ?? refused(s);
    return refused(s);
  });
  return serialize(withoutDuplicateBandwidth(main.session), sections, main.eol);
}

/** The content leg's video section, standing alone (its own c=), marked as slides under `contentLabel`. */
function contentSection(leg: ParsedSdp, contentLabel: string): string[] | null {
  const video = leg.media.find((s) => s.kind === 'video' && s.port > 0);
  if (!video) return null;
  const address = connectionAddress(video.lines) ?? connectionAddress(leg.session);
  const lines = [...withoutAttrs(video.lines, ['content', 'label']), 'a=content:slides', `a=label:${contentLabel}`];
  return withoutDuplicateBandwidth(withConnection(lines, address));
}

function bfcpSection(s: Section, offer: ParsedSdp, server: BfcpServer, contentLabel: string | null): string[] | null {
  if (!bfcpServable(bfcpOffer(s, offer.session)).ok) return null;
  return bfcpServerSection(s.proto, server, contentLabel);
}
