/**
 * Q.931 messages as profiled by H.225.0 (clause 7): protocol discriminator 8, a call reference
 * (two octets in H.323, the top bit flagging the side that did not originate the call), the
 * message type, then information elements. The user-user IE (0x7E) has a two-octet length in
 * H.225.0 and carries protocol discriminator 5 followed by the PER-encoded H323-UserInformation.
 */
import { Q931DecodeError } from './errors';

export const MessageType = {
  alerting: 0x01,
  callProceeding: 0x02,
  progress: 0x03,
  setup: 0x05,
  connect: 0x07,
  setupAcknowledge: 0x0d,
  notify: 0x6e,
  releaseComplete: 0x5a,
  facility: 0x62,
  statusEnquiry: 0x75,
  information: 0x7b,
  status: 0x7d,
} as const;

export const IeId = {
  bearerCapability: 0x04,
  cause: 0x08,
  callState: 0x14,
  facility: 0x1c,
  progressIndicator: 0x1e,
  notificationIndicator: 0x27,
  display: 0x28,
  keypad: 0x2c,
  signal: 0x34,
  callingPartyNumber: 0x6c,
  callingPartySubaddress: 0x6d,
  calledPartyNumber: 0x70,
  calledPartySubaddress: 0x71,
  userUser: 0x7e,
} as const;

/** Protocol discriminator inside the user-user IE: "X.208 and X.209 coded user information". */
export const UUIE_PROTOCOL_X208 = 5;

export interface Q931Ie {
  /** IE identifier; single-octet IEs (0x80..0xFF) keep their whole octet here and no data. */
  readonly id: number;
  readonly data: Uint8Array;
}

export interface Q931Message {
  readonly callReference: number;
  /** Call reference flag: true in messages sent by the side that answers the call. */
  readonly fromDestination: boolean;
  readonly messageType: number;
  readonly ies: readonly Q931Ie[];
}

export function encodeQ931(m: Q931Message): Uint8Array {
  const out: number[] = [0x08, 2, (m.fromDestination ? 0x80 : 0) | ((m.callReference >> 8) & 0x7f), m.callReference & 0xff, m.messageType];
  for (const ie of m.ies) {
    if (ie.id & 0x80) {
      out.push(ie.id);
      continue;
    }
    if (ie.id === IeId.userUser) out.push(ie.id, ie.data.length >> 8, ie.data.length & 0xff);
    else {
      if (ie.data.length > 255) throw new RangeError(`IE 0x${ie.id.toString(16)} longer than 255 octets`);
      out.push(ie.id, ie.data.length);
    }
    out.push(...ie.data);
  }
  return Uint8Array.from(out);
}

export function decodeQ931(b: Uint8Array): Q931Message {
  if (b.length < 3) throw new Q931DecodeError('Q.931 message too short');
  if (b[0] !== 0x08) throw new Q931DecodeError(`protocol discriminator ${b[0]} is not Q.931`);
  const crLen = b[1]! & 0x0f;
  if (crLen > 2) throw new Q931DecodeError(`call reference length ${crLen} not supported`);
  if (b.length < 3 + crLen) throw new Q931DecodeError('truncated call reference');
  let callReference = 0;
  let fromDestination = false;
  if (crLen > 0) {
    fromDestination = (b[2]! & 0x80) !== 0;
    callReference = b[2]! & 0x7f;
    if (crLen === 2) callReference = (callReference << 8) | b[3]!;
  }
  let p = 2 + crLen;
  const messageType = b[p++]!;
  const ies: Q931Ie[] = [];
  while (p < b.length) {
    const id = b[p++]!;
    if (id & 0x80) {
      ies.push({ id, data: new Uint8Array(0) });
      continue;
    }
    let len: number;
    if (id === IeId.userUser) {
      if (p + 2 > b.length) throw new Q931DecodeError('truncated user-user IE length');
      len = (b[p]! << 8) | b[p + 1]!;
      p += 2;
    } else {
      if (p + 1 > b.length) throw new Q931DecodeError(`truncated length of IE 0x${id.toString(16)}`);
      len = b[p++]!;
    }
    if (p + len > b.length) throw new Q931DecodeError(`IE 0x${id.toString(16)} of ${len} octets overruns the message`);
    ies.push({ id, data: b.slice(p, p + len) });
    p += len;
  }
  return { callReference, fromDestination, messageType, ies };
}

export function findIe(m: Q931Message, id: number): Uint8Array | undefined {
  return m.ies.find((ie) => ie.id === id)?.data;
}

/** The H323-UserInformation PER octets of a message, if it has a user-user IE. */
export function userUserPdu(m: Q931Message): Uint8Array | undefined {
  const uu = findIe(m, IeId.userUser);
  if (!uu) return undefined;
  if (uu.length < 1 || uu[0] !== UUIE_PROTOCOL_X208) throw new Q931DecodeError(`user-user protocol discriminator ${uu[0]} is not X.208 (5)`);
  return uu.subarray(1);
}

export function userUserIe(pdu: Uint8Array): Q931Ie {
  const data = new Uint8Array(pdu.length + 1);
  data[0] = UUIE_PROTOCOL_X208;
  data.set(pdu, 1);
  return { id: IeId.userUser, data };
}

/**
 * Party number IE contents (called/calling): type of number / numbering plan octet with the
 * extension bit set (0x81 = unknown type, ISDN/E.164 plan; H.225 endpoints commonly send 0xA1
 * national or 0x81), then IA5 digits.
 */
export function partyNumberIe(id: number, digits: string, typeAndPlan = 0x81): Q931Ie {
  return { id, data: Uint8Array.from([typeAndPlan | 0x80, ...[...digits].map((c) => c.charCodeAt(0))]) };
}

export function partyNumberDigits(data: Uint8Array): string {
  let p = 0;
  while (p < data.length && (data[p]! & 0x80) === 0) p++; // octet 3 without ext bit: 3a follows
  return String.fromCharCode(...data.subarray(p + 1));
}

/** Bearer capability for H.323 calls: ITU-T coding, unrestricted digital, packet mode... as common endpoints send. */
export function bearerCapabilityIe(video: boolean): Q931Ie {
  // 0x88: CCITT, unrestricted digital information; 0x18 / 0x90: circuit mode, 64 kbit/s
  // (audio) or multirate (0x18 followed by rate multiplier) for video; 0xa5: layer 1 H.221/H.242.
  return { id: IeId.bearerCapability, data: Uint8Array.from(video ? [0x88, 0x18, 0x86, 0xa5] : [0x88, 0x90, 0xa5]) };
}

/** Cause IE (Q.850): coding standard ITU-T, location "private network serving the local user". */
export function causeIe(cause: number, location = 1): Q931Ie {
  return { id: IeId.cause, data: Uint8Array.from([0x80 | location, 0x80 | (cause & 0x7f)]) };
}

export function causeValue(data: Uint8Array): number | undefined {
  let p = 0;
  while (p < data.length && (data[p]! & 0x80) === 0) p++;
  const v = data[p + 1];
  return v === undefined ? undefined : v & 0x7f;
}

/** Display IE: IA5 for ASCII names; other names in UTF-8, as endpoints with local names send them. */
export function displayIe(text: string): Q931Ie {
  const data = new TextEncoder().encode(text);
  return { id: IeId.display, data: data.subarray(0, 255) };
}

/** Call state IE (Q.931 4.5.7), for Status: e.g. 9 incoming call proceeding, 10 active. */
export function callStateIe(state: number): Q931Ie {
  return { id: IeId.callState, data: Uint8Array.of(state & 0x3f) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * Display IE text, e.g. the caller's name. Q.931 says IA5, but endpoints configured with local
 * names send UTF-8: decode leniently and drop control characters.
 */
export function displayText(data: Uint8Array): string {
  return new TextDecoder().decode(data).replace(CONTROL_CHARACTERS, '').trim();
}
