import { isSlides, parseSdp, refused, serialize, type Section } from '../content/sdp-lines';

/**
 * The re-INVITE that moves a call to another media server (docs/scale.md, "Failover") offers the
 * new FreeSWITCH's streams inside the dialog the caller already has. RFC 3264 §8 holds such an
 * offer to the dialog's previous SDP: the same m= lines in the same order (a stream is never
 * removed, only refused with port 0) and the same o= session, its version one higher. FreeSWITCH
 * knows nothing of that SDP, so its offer is laid over it here, and the caller's answer is cut
 * back to the streams FreeSWITCH offered.
 */
export interface MovedOffer {
  sdp: string;
  /** For each of FreeSWITCH's m= sections, its position in `sdp`. */
  positions: number[];
}

export function movedOffer(previousLocal: string, freeswitchOffer: string): MovedOffer {
  const before = parseSdp(previousLocal);
  const fs = parseSdp(freeswitchOffer);
  const unused = [...fs.media];
  const positions: number[] = new Array<number>(fs.media.length);
  const sections: string[][] = before.media.map((old, i) => {
    // A content line (a=content:slides) takes the place of the dialog's content line, not of its camera.
    const k = unused.findIndex((s) => s.kind === old.kind && isSlides(s) === isSlides(old));
    if (k < 0) return refused(old);
    const [taken] = unused.splice(k, 1) as [Section];
    positions[taken.index] = i;
    return taken.lines;
  });
  // A stream FreeSWITCH offers that the dialog never had goes at the end, where a new one may.
  for (const s of unused) {
    positions[s.index] = sections.length;
    sections.push(s.lines);
  }
  return { sdp: serialize(nextOrigin(before.session, fs.session), sections, fs.eol), positions };
}

/**
 * The caller's answer to a moved offer as an answer to FreeSWITCH's own offer: its sections, in its
 * order. A line the answer leaves out (room systems that answer a camera offer with their audio line
 * alone) counts as refused, as the first answer of such a system was taken.
 */
export function answerForFreeswitch(answer: string, offer: MovedOffer): string {
  const parsed = parseSdp(answer);
  const offered = parseSdp(offer.sdp);
  const sections = offer.positions.map((p) => parsed.media[p]?.lines ?? refused(offered.media[p]!));
  return serialize(parsed.session, sections, parsed.eol);
}

/** FreeSWITCH's session lines under the dialog's o= user and session id, at the next version. */
function nextOrigin(previous: readonly string[], fresh: readonly string[]): string[] {
  const old = previous
    .find((l) => l.startsWith('o='))
    ?.slice(2)
    .split(' ');
  return fresh.map((l) => {
    if (!l.startsWith('o=') || !old || old.length < 6) return l;
    const [, , , ...address] = l.slice(2).split(' ');
    const version = /^\d+$/.test(old[2]!) ? (BigInt(old[2]!) + 1n).toString() : '1';
    return `o=${[old[0], old[1], version, ...address].join(' ')}`;
  });
}
