/**
 * Attribute TLVs (RFC 8855 §5.2): 7-bit type, M bit, 8-bit length in octets (header included,
 * padding excluded), contents padded with zeros to a 32-bit boundary.
 */
import { AttributeType, ErrorCode, isRequestStatus } from './constants';
import { BfcpDecodeError, BfcpEncodeError } from './errors';
import type { BfcpHeader, FloorRequestInformation, FloorRequestStatusInfo, OverallRequestStatus, RequestStatusField, UserInformation } from './message';

export interface RawAttribute {
  readonly type: number;
  readonly mandatory: boolean;
  /** The octets after the type/length pair, padding excluded. */
  readonly content: Uint8Array;
}

const MAX_ATTRIBUTE_BYTES = 255;

export function padded(n: number): number {
  return (n + 3) & ~3;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function attribute(type: number, content: Uint8Array): Uint8Array {
  const length = 2 + content.length;
  if (length > MAX_ATTRIBUTE_BYTES) throw new BfcpEncodeError(`attribute ${type} is ${length} octets, over ${MAX_ATTRIBUTE_BYTES}`);
  const out = new Uint8Array(padded(length));
  out[0] = type << 1; // M = 0: every attribute we send is one RFC 8855 defines
  out[1] = length;
  out.set(content, 2);
  return out;
}

export function uint16(v: number, what: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new BfcpEncodeError(`${what} ${v} is not a 16-bit unsigned integer`);
  return Uint8Array.of(v >> 8, v & 0xff);
}

export function uint16Attribute(type: number, v: number, what: string): Uint8Array {
  return attribute(type, uint16(v, what));
}

export function textAttribute(type: number, text: string): Uint8Array {
  return attribute(type, new TextEncoder().encode(text));
}

export function priorityAttribute(priority: number): Uint8Array {
  if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw new BfcpEncodeError(`priority ${priority} does not fit 3 bits`);
  return attribute(AttributeType.Priority, Uint8Array.of(priority << 5, 0));
}

function requestStatusAttribute(s: RequestStatusField): Uint8Array {
  if (!Number.isInteger(s.queuePosition) || s.queuePosition < 0 || s.queuePosition > 0xff) {
    throw new BfcpEncodeError(`queue position ${s.queuePosition} does not fit 8 bits`);
  }
  return attribute(AttributeType.RequestStatus, Uint8Array.of(s.status, s.queuePosition));
}

function grouped(type: number, id: number, what: string, nested: readonly (Uint8Array | undefined)[]): Uint8Array {
  return attribute(type, concat([uint16(id, what), ...nested.filter((n): n is Uint8Array => n !== undefined)]));
}

function optionalText(type: number, text: string | undefined): Uint8Array | undefined {
  return text === undefined ? undefined : textAttribute(type, text);
}

export function userInformationAttribute(type: number, u: UserInformation): Uint8Array {
  return grouped(type, u.userId, 'user id', [optionalText(AttributeType.UserDisplayName, u.displayName), optionalText(AttributeType.UserUri, u.uri)]);
}

export function floorRequestInformationAttribute(f: FloorRequestInformation): Uint8Array {
  if (f.floorRequestStatus.length === 0) throw new BfcpEncodeError('FLOOR-REQUEST-INFORMATION needs at least one FLOOR-REQUEST-STATUS');
  const overall = f.overallRequestStatus;
  return grouped(AttributeType.FloorRequestInformation, f.floorRequestId, 'floor request id', [
    overall &&
      grouped(AttributeType.OverallRequestStatus, overall.floorRequestId, 'floor request id', [
        overall.requestStatus && requestStatusAttribute(overall.requestStatus),
        optionalText(AttributeType.StatusInfo, overall.statusInfo),
      ]),
    ...f.floorRequestStatus.map((s) =>
      grouped(AttributeType.FloorRequestStatus, s.floorId, 'floor id', [
        s.requestStatus && requestStatusAttribute(s.requestStatus),
        optionalText(AttributeType.StatusInfo, s.statusInfo),
      ]),
    ),
    f.beneficiary && userInformationAttribute(AttributeType.BeneficiaryInformation, f.beneficiary),
    f.requestedBy && userInformationAttribute(AttributeType.RequestedByInformation, f.requestedBy),
    f.priority === undefined ? undefined : priorityAttribute(f.priority),
    optionalText(AttributeType.ParticipantProvidedInfo, f.participantProvidedInfo),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Splits [start, end) of `b` into attributes; lengths, padding and bounds are checked. */
export function readAttributes(b: Uint8Array, start: number, end: number, header: BfcpHeader): RawAttribute[] {
  const out: RawAttribute[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 2) throw parseError('truncated attribute header', header);
    const type = b[p]! >> 1;
    const mandatory = (b[p]! & 1) === 1;
    const length = b[p + 1]!;
    if (length < 2) throw parseError(`attribute ${type} has length ${length}`, header);
    const next = p + padded(length);
    if (next > end) throw parseError(`attribute ${type} (${length} octets) runs past its container`, header);
    for (let i = p + length; i < next; i++) if (b[i] !== 0) throw parseError(`attribute ${type} has non-zero padding`, header);
    out.push({ type, mandatory, content: b.subarray(p + 2, p + length) });
    p = next;
  }
  return out;
}

export function parseError(reason: string, header: BfcpHeader): BfcpDecodeError {
  return new BfcpDecodeError(reason, ErrorCode.UnableToParseMessage, header);
}

/**
 * The attributes of one message or grouped attribute, taken by type. Whatever the grammar does not
 * name is an extension: ignored, unless its M bit asks the receiver to understand it.
 */
export class AttributeSet {
  private readonly used = new Set<RawAttribute>();
  constructor(
    private readonly attrs: readonly RawAttribute[],
    readonly header: BfcpHeader,
    private readonly where: string,
  ) {}

  many(type: number): RawAttribute[] {
    const xs = this.attrs.filter((a) => a.type === type);
    for (const a of xs) this.used.add(a);
    return xs;
  }

  one(type: number): RawAttribute | undefined {
    const xs = this.many(type);
    if (xs.length > 1) throw parseError(`${this.where}: attribute ${type} appears ${xs.length} times`, this.header);
    return xs[0];
  }

  required(type: number): RawAttribute {
    const a = this.one(type);
    if (!a) throw parseError(`${this.where}: attribute ${type} missing`, this.header);
    return a;
  }

  finish(): void {
    const unknown = this.attrs.filter((a) => !this.used.has(a) && a.mandatory).map((a) => a.type);
    if (unknown.length > 0) {
      throw new BfcpDecodeError(
        `${this.where}: mandatory attribute(s) ${unknown.join(', ')} not understood`,
        ErrorCode.UnknownMandatoryAttribute,
        this.header,
        unknown,
      );
    }
  }
}

export function readUint16(a: RawAttribute, header: BfcpHeader): number {
  if (a.content.length !== 2) throw parseError(`attribute ${a.type} must be 4 octets`, header);
  return (a.content[0]! << 8) | a.content[1]!;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readText(a: RawAttribute, header: BfcpHeader): string {
  try {
    return utf8.decode(a.content);
  } catch {
    throw parseError(`attribute ${a.type} is not UTF-8`, header);
  }
}

export function readPriority(a: RawAttribute, header: BfcpHeader): number {
  return readUint16(a, header) >> 13;
}

function readRequestStatus(a: RawAttribute, header: BfcpHeader): RequestStatusField {
  const v = readUint16(a, header);
  const status = v >> 8;
  if (!isRequestStatus(status)) throw parseError(`unknown request status ${status}`, header);
  return { status, queuePosition: v & 0xff };
}

function optional<T>(a: RawAttribute | undefined, read: (a: RawAttribute, h: BfcpHeader) => T, header: BfcpHeader): T | undefined {
  return a === undefined ? undefined : read(a, header);
}

/** A grouped attribute: its 16-bit id and the attributes nested after it. */
function openGroup(a: RawAttribute, header: BfcpHeader, where: string): { id: number; set: AttributeSet } {
  if (a.content.length < 2) throw parseError(`${where} too short`, header);
  const id = (a.content[0]! << 8) | a.content[1]!;
  return { id, set: new AttributeSet(readAttributes(a.content, 2, a.content.length, header), header, where) };
}

export function readUserInformation(a: RawAttribute, header: BfcpHeader): UserInformation {
  const { id, set } = openGroup(a, header, 'user information');
  const displayName = optional(set.one(AttributeType.UserDisplayName), readText, header);
  const uri = optional(set.one(AttributeType.UserUri), readText, header);
  set.finish();
  return { userId: id, ...(displayName !== undefined && { displayName }), ...(uri !== undefined && { uri }) };
}

function readStatusGroup(a: RawAttribute, header: BfcpHeader, where: string): { id: number; requestStatus?: RequestStatusField; statusInfo?: string } {
  const { id, set } = openGroup(a, header, where);
  const requestStatus = optional(set.one(AttributeType.RequestStatus), readRequestStatus, header);
  const statusInfo = optional(set.one(AttributeType.StatusInfo), readText, header);
  set.finish();
  return { id, ...(requestStatus && { requestStatus }), ...(statusInfo !== undefined && { statusInfo }) };
}

export function readFloorRequestInformation(a: RawAttribute, header: BfcpHeader): FloorRequestInformation {
  const { id, set } = openGroup(a, header, 'FLOOR-REQUEST-INFORMATION');
  const overallAttr = set.one(AttributeType.OverallRequestStatus);
  let overallRequestStatus: OverallRequestStatus | undefined;
  if (overallAttr) {
    const { id: floorRequestId, ...rest } = readStatusGroup(overallAttr, header, 'OVERALL-REQUEST-STATUS');
    overallRequestStatus = { floorRequestId, ...rest };
  }
  const floorRequestStatus: FloorRequestStatusInfo[] = set.many(AttributeType.FloorRequestStatus).map((s) => {
    const { id: floorId, ...rest } = readStatusGroup(s, header, 'FLOOR-REQUEST-STATUS');
    return { floorId, ...rest };
  });
  if (floorRequestStatus.length === 0) throw parseError('FLOOR-REQUEST-INFORMATION without FLOOR-REQUEST-STATUS', header);
  const beneficiary = optional(set.one(AttributeType.BeneficiaryInformation), readUserInformation, header);
  const requestedBy = optional(set.one(AttributeType.RequestedByInformation), readUserInformation, header);
  const priority = optional(set.one(AttributeType.Priority), readPriority, header);
  const participantProvidedInfo = optional(set.one(AttributeType.ParticipantProvidedInfo), readText, header);
  set.finish();
  return {
    floorRequestId: id,
    ...(overallRequestStatus && { overallRequestStatus }),
    floorRequestStatus,
    ...(beneficiary && { beneficiary }),
    ...(requestedBy && { requestedBy }),
    ...(priority !== undefined && { priority }),
    ...(participantProvidedInfo !== undefined && { participantProvidedInfo }),
  };
}

export { optional as readOptional };
