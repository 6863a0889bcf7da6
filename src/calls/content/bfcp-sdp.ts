/**
 * The BFCP stream in SDP (RFC 8856): reading a room system's BFCP line, deciding whether the bridge
 * can serve it, and writing the bridge's own. The bridge is always the floor control server; it
 * listens and never connects out. Pure: no I/O.
 */
import { attr, attrValues, ContentSdpError, connectionAddress, connectionLine, isAddress, isToken, type Section } from './sdp-lines';

export type BfcpSetup = 'active' | 'passive' | 'actpass' | 'holdconn';
export type BfcpConnection = 'new' | 'existing';

export interface FloorId {
  id: number;
  /** The a=label of the media streams the floor controls (`mstrm:`). */
  labels: string[];
}

/** A BFCP line as a room system offered it. */
export interface BfcpOffer {
  /** Position among the offer's m= lines. */
  index: number;
  /** As offered: 'UDP/BFCP', 'TCP/BFCP', 'TCP/TLS/BFCP', 'UDP/TLS/BFCP'… */
  proto: string;
  port: number;
  /** Media-level c=, else session-level; '' when neither is usable. */
  address: string;
  /** The roles the OFFERER can take (RFC 8856 §5): 'c-only', 's-only', 'c-s'; [] when not said. */
  floorctrl: string[];
  setup: BfcpSetup | null;
  connection: BfcpConnection | null;
  floorIds: FloorId[];
}

/** What the bridge's floor control server listens on and calls itself. */
export interface BfcpServer {
  address: string;
  port: number;
  conferenceId: number;
  userId: number;
  floorId: number;
}

const SETUPS: readonly BfcpSetup[] = ['active', 'passive', 'actpass', 'holdconn'];
const CONNECTIONS: readonly BfcpConnection[] = ['new', 'existing'];
const U16 = 0xffff;
const U32 = 0xffffffff;

export function isBfcp(s: Section): boolean {
  return /\/BFCP$/i.test(s.proto);
}

export function bfcpOffer(s: Section, session: readonly string[]): BfcpOffer {
  const setup = attr(s.lines, 'setup');
  const connection = attr(s.lines, 'connection');
  return {
    index: s.index,
    proto: s.proto,
    port: s.port,
    address: connectionAddress(s.lines) ?? connectionAddress(session) ?? '',
    floorctrl: attrValues(s.lines, 'floorctrl').flatMap((v) => v.split(/\s+/).filter(Boolean)),
    setup: SETUPS.find((x) => x === setup) ?? null,
    connection: CONNECTIONS.find((x) => x === connection) ?? null,
    floorIds: floorIds(s.lines),
  };
}

/**
 * `a=floorid:<id> mstrm:<label> [<label>…]` (RFC 8856 §6). Poly has been seen writing `m-stream:`
 * (RFC 4583's spelling) and baresip `mstrm <label>`; all three are read. Ids beyond 16 bits (the
 * BFCP FLOOR-ID field) are dropped.
 */
export function floorIds(lines: readonly string[]): FloorId[] {
  const out: FloorId[] = [];
  for (const v of attrValues(lines, 'floorid')) {
    const [id = '', ...rest] = v.split(/\s+/);
    const n = boundedInt(id, U16);
    if (n === null) continue;
    const labels = rest.map((t) => t.replace(/^(?:mstrm|m-stream):?/, '')).filter(isToken);
    out.push({ id: n, labels });
  }
  return out;
}

export function floorLabels(lines: readonly string[]): Set<string> {
  return new Set(floorIds(lines).flatMap((f) => f.labels));
}

function boundedInt(s: string, max: number): number | null {
  if (!/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

/**
 * Whether the bridge can answer this BFCP line as floor control server:
 * - UDP/BFCP or TCP/BFCP only: the bridge has no TLS/DTLS for BFCP, so those are answered port 0;
 * - the offerer must be able to be the client (`c-only` or `c-s`); without a=floorctrl RFC 8856 §5
 *   makes the offerer the client and the answerer the server, which is what we want;
 * - over TCP the bridge listens (a=setup:passive), so the offerer must connect: `active` or
 *   `actpass` (no a=setup means active, RFC 4145 §4). An offerer that only listens (`passive`) or
 *   holds the connection would need the bridge to connect out, which it does not.
 */
export function bfcpServable(b: BfcpOffer): { ok: true } | { ok: false; why: string } {
  const proto = b.proto.toUpperCase();
  if (proto !== 'UDP/BFCP' && proto !== 'TCP/BFCP') return { ok: false, why: `BFCP over ${b.proto} is not supported (UDP/BFCP and TCP/BFCP only)` };
  if (b.port <= 0) return { ok: false, why: 'the BFCP line is disabled (port 0)' };
  if (b.floorctrl.length && !b.floorctrl.some((r) => r === 'c-only' || r === 'c-s')) {
    return { ok: false, why: `the room system cannot be a floor control client (a=floorctrl:${b.floorctrl.join(' ')})` };
  }
  if (proto === 'TCP/BFCP' && b.setup !== null && b.setup !== 'active' && b.setup !== 'actpass') {
    return { ok: false, why: `the room system does not connect out (a=setup:${b.setup}); the bridge only listens` };
  }
  return { ok: true };
}

/**
 * The bridge's BFCP section, in an answer or its own offer: server only, listening over TCP.
 * `label` is the content stream's a=label the floor controls; null leaves mstrm out (a floor
 * with no stream yet: the room system may add the content line in a re-INVITE).
 */
export function bfcpServerSection(proto: string, s: BfcpServer, label: string | null): string[] {
  checkServer(s);
  const lines = [
    `m=application ${s.port} ${proto} *`,
    connectionLine(s.address),
    'a=floorctrl:s-only',
    `a=confid:${s.conferenceId}`,
    `a=userid:${s.userId}`,
    `a=floorid:${s.floorId}${label ? ` mstrm:${label}` : ''}`,
  ];
  if (proto.toUpperCase().startsWith('TCP/')) lines.push('a=setup:passive', 'a=connection:new');
  return lines;
}

/** The server's own parameters: out of range is the bridge's bug, told by a typed error, never written. */
function checkServer(s: BfcpServer): void {
  const int = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
  if (!isAddress(s.address)) throw new ContentSdpError('bad-parameter', `BFCP address ${JSON.stringify(s.address)} is not an address`);
  if (!int(s.port, 1, U16)) throw new ContentSdpError('bad-parameter', `BFCP port ${s.port} is out of range`);
  // RFC 8855: conference id 32 bits, user and floor ids 16 bits.
  if (!int(s.conferenceId, 0, U32) || !int(s.userId, 0, U16) || !int(s.floorId, 0, U16)) {
    throw new ContentSdpError('bad-parameter', `BFCP ids out of range (confid ${s.conferenceId}, userid ${s.userId}, floorid ${s.floorId})`);
  }
}
