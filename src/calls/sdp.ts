/**
 * Just enough SDP reading to refuse offers the bridge cannot serve (488) and to record the codecs a
 * call uses; FreeSWITCH does the real negotiation.
 */

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaLine {
  kind: string;
  port: number;
  codecs: string[];
  /** The line's own direction attribute, else the session's, else sendrecv (RFC 4566 §6). */
  direction: Direction;
}

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/;

export function mediaLines(sdp: string): MediaLine[] {
  const lines: MediaLine[] = [];
  let current: MediaLine | null = null;
  let sessionDirection: Direction = 'sendrecv';
  const rtpmap = new Map<string, string>();
  const flush = () => {
    if (current) lines.push({ ...current, codecs: current.codecs.map((pt) => rtpmap.get(pt) ?? staticName(pt)) });
  };
  for (const raw of sdp.split(/\r?\n/)) {
    const m = /^m=(\w+) (\d+)(?:\/\d+)? \S+ (.*)$/.exec(raw);
    if (m) {
      flush();
      rtpmap.clear();
      current = { kind: m[1]!, port: Number(m[2]), codecs: m[3]!.trim().split(/\s+/), direction: sessionDirection };
      continue;
    }
    const d = DIRECTION.exec(raw);
    if (d) {
      if (current) current.direction = d[1] as Direction;
      else sessionDirection = d[1] as Direction;
      continue;
    }
    const r = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(raw);
    if (r && current) rtpmap.set(r[1]!, r[2]!.toUpperCase());
  }
  flush();
  return lines;
}

const staticPayloads: Record<string, string> = { '0': 'PCMU', '8': 'PCMA', '9': 'G722', '18': 'G729', '3': 'GSM', '34': 'H263' };

/** The name of a static RTP payload type (RFC 3551), or the number itself. */
export function staticName(pt: string): string {
  return staticPayloads[pt] ?? pt;
}

/** Audio codecs the conference mixes. */
export const audioCodecs = new Set(['OPUS', 'G722', 'PCMU', 'PCMA']);

export function checkOffer(sdp: string): { ok: true } | { ok: false; why: string } {
  if (!sdp.trim()) return { ok: true }; // late offer: FreeSWITCH offers, the caller answers in the ACK
  const audio = mediaLines(sdp).filter((m) => m.kind === 'audio' && m.port !== 0);
  if (!audio.length) return { ok: false, why: 'the offer has no audio stream' };
  if (!audio.some((m) => m.codecs.some((c) => audioCodecs.has(c)))) {
    return { ok: false, why: `no common audio codec (offered ${audio.flatMap((m) => m.codecs).join(', ')}; the bridge speaks Opus, G.722, G.711)` };
  }
  return { ok: true };
}

/**
 * The first codec of the first active line of each kind — what the answer chose. A line that is
 * rejected (port 0) or inactive carries nothing: FreeSWITCH answers a site that declined video with
 * an `a=inactive` video line rather than port 0.
 */
export function negotiated(sdp: string): { audio: string | null; video: string | null } {
  const lines = mediaLines(sdp).filter((m) => m.port !== 0 && m.direction !== 'inactive');
  const first = (kind: string) => lines.find((m) => m.kind === kind)?.codecs.find((c) => c !== 'TELEPHONE-EVENT') ?? null;
  return { audio: first('audio'), video: first('video') };
}

/** The line ending an SDP uses, so that what is rewritten goes back the way it came. */
export function sdpEol(sdp: string): string {
  return sdp.includes('\r\n') ? '\r\n' : '\n';
}

/** Session lines, then one array per m= section; the trailing empty line dropped. */
export function sdpSections(sdp: string): { session: string[]; media: string[][] } {
  const lines = sdp.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const session: string[] = [];
  const media: string[][] = [];
  for (const l of lines) {
    if (l.startsWith('m=')) media.push([l]);
    else if (media.length) media[media.length - 1]!.push(l);
    else session.push(l);
  }
  return { session, media };
}
