/**
 * The line-level SDP model the content rules work on: a session part and m= sections, each kept as
 * its own lines so that whatever the bridge does not rewrite goes on exactly as it came (CRLF
 * included). Pure: no I/O.
 */
import { sdpEol, sdpSections } from '../sdp';

/**
 * The one error these rules throw, and only when SDP the bridge itself is responsible for (FreeSWITCH's,
 * or its own parameters) is unusable; a room system's SDP never throws, it yields null/absent instead.
 * - `bad-sdp`: FreeSWITCH's SDP has no session part (no o= line);
 * - `no-content-video`: FreeSWITCH's content-leg SDP has no active video line;
 * - `bad-parameter`: an address, port or BFCP id the bridge passed is out of range or not a token.
 */
export class ContentSdpError extends Error {
  constructor(
    readonly code: 'bad-sdp' | 'no-content-video' | 'bad-parameter',
    message: string,
  ) {
    super(message);
    this.name = 'ContentSdpError';
  }
}

export interface Section {
  /** Position among the SDP's m= lines, from 0: RFC 3264 pairs offer and answer sections by it. */
  index: number;
  lines: string[];
  /** '' when the m= line does not parse. */
  kind: string;
  /** -1 when the port is not a number from 0 to 65535: such a line is never taken for content. */
  port: number;
  proto: string;
  formats: string[];
}

export interface ParsedSdp {
  eol: string;
  session: string[];
  media: Section[];
}

export function parseSdp(sdp: string): ParsedSdp {
  const { session, media } = sdpSections(sdp);
  return { eol: sdpEol(sdp), session, media: media.map((lines, index) => section(lines, index)) };
}

function section(lines: string[], index: number): Section {
  // Split on spaces rather than one regular expression: a hostile line of many spaces cannot make it backtrack.
  const [kind = '', port = '', proto = '', ...formats] = lines[0]!.slice(2).trim().split(/\s+/);
  return { index, lines, kind, port: portNumber(port.split('/')[0]!), proto, formats };
}

function portNumber(s: string): number {
  if (!/^\d{1,5}$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

/** Whether the SDP has the session part every offer and answer starts with (RFC 4566 §5: v=, o=). */
export function hasOrigin(sdp: ParsedSdp): boolean {
  return sdp.session.some((l) => l.startsWith('o='));
}

export function serialize(session: readonly string[], sections: readonly (readonly string[])[], eol: string): string {
  return `${[...session, ...sections.flat()].join(eol)}${eol}`;
}

/** The values of `a=<name>:<value>` (a bare `a=<name>` gives ''). */
export function attrValues(lines: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l === `a=${name}`) out.push('');
    else if (l.startsWith(`a=${name}:`)) out.push(l.slice(name.length + 3).trim());
  }
  return out;
}

export function attr(lines: readonly string[], name: string): string | null {
  return attrValues(lines, name)[0] ?? null;
}

export function withoutAttrs(lines: readonly string[], names: readonly string[]): string[] {
  return lines.filter((l) => !names.some((n) => l === `a=${n}` || l.startsWith(`a=${n}:`)));
}

/** RFC 4566 `token` (labels, floor ids): what may be copied from a room system's SDP into ours. */
export function isToken(s: string): boolean {
  return /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/.test(s);
}

/** An IPv4/IPv6 address or a host name, and nothing that could break a line. */
export function isAddress(s: string): boolean {
  return /^[0-9A-Za-z.:-]{1,253}$/.test(s) && /[0-9A-Za-z]/.test(s);
}

/** The address of a block's c= line (`c=IN IP4 <address>[/ttl]`), if it has a usable one. */
export function connectionAddress(lines: readonly string[]): string | null {
  const c = lines.find((l) => l.startsWith('c='));
  const address = c?.slice(2).trim().split(/\s+/)[2]?.split('/')[0];
  return address && isAddress(address) ? address : null;
}

export function connectionLine(address: string): string {
  return `c=IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`;
}

/**
 * The section with exactly one c= line, `address`'s, placed where RFC 4566 wants it (after the m= line
 * and its i=): a section moved from another SDP must not lean on that SDP's session-level c=.
 */
export function withConnection(lines: readonly string[], address: string | null): string[] {
  const kept = lines.filter((l, i) => i === 0 || !l.startsWith('c='));
  if (!address) return kept;
  let at = 1;
  while (at < kept.length && kept[at]!.startsWith('i=')) at++;
  return [...kept.slice(0, at), connectionLine(address), ...kept.slice(at)];
}

/** One b= line per bandwidth type, the first: a section pieced together must not say its rate twice. */
export function withoutDuplicateBandwidth(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  return lines.filter((l) => {
    if (!l.startsWith('b=')) return true;
    const type = l.slice(2).split(':')[0]!;
    if (seen.has(type)) return false;
    seen.add(type);
    return true;
  });
}

/**
 * A refused section of an answer: port 0 with the offered proto and formats (RFC 3264 §6). A line
 * too broken to echo still gets a well-formed refusal, so the answer keeps the offer's m= count.
 */
export function refused(s: Section): string[] {
  const formats = s.formats.length ? s.formats.join(' ') : '*';
  return [`m=${s.kind || 'application'} 0 ${s.proto || 'RTP/AVP'} ${formats}`];
}

/** Whether `a=content` (RFC 4796, a comma-separated list) says `slides`. */
export function isSlides(s: Section): boolean {
  return attrValues(s.lines, 'content').some((v) => v.split(',').includes('slides'));
}

export function label(s: Section): string | null {
  const l = attr(s.lines, 'label');
  return l !== null && isToken(l) ? l : null;
}

/** A numeric label no section of `sdps` uses yet, from `from` up: room systems label streams with numbers. */
export function freshLabel(sdps: readonly ParsedSdp[], from: number): string {
  const used = new Set(sdps.flatMap((p) => p.media.flatMap((s) => attrValues(s.lines, 'label'))));
  let n = Math.max(1, from);
  while (used.has(String(n))) n++;
  return String(n);
}
