/**
 * Typed reading of decoded H.225/H.245 values. The PER decoder guarantees that a value has the
 * shape of its descriptor, but the value model (AsnValue) is loose; these helpers narrow it
 * without `as` casts scattered through the protocol code, and return undefined for whatever is
 * absent or of another alternative, so handlers can treat "missing" and "unexpected" alike.
 */
import { BitString, type AsnValue, type ChoiceValue, type SequenceValue } from '../asn1/types';
import type { IpPort } from './common';

export function isSeq(v: AsnValue | undefined): v is SequenceValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof BitString) && !isChoice(v);
}

export function isChoice(v: AsnValue | undefined): v is ChoiceValue {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof BitString) &&
    typeof (v as { choice?: unknown }).choice === 'string' &&
    'value' in v &&
    Object.keys(v).length === 2
  );
}

/** A component of a SEQUENCE value, or undefined. */
export function get(v: AsnValue | undefined, name: string): AsnValue | undefined {
  return isSeq(v) ? v[name] : undefined;
}

export const getSeq = (v: AsnValue | undefined, name: string): SequenceValue | undefined => {
  const x = get(v, name);
  return isSeq(x) ? x : undefined;
};
export const getChoice = (v: AsnValue | undefined, name: string): ChoiceValue | undefined => {
  const x = get(v, name);
  return isChoice(x) ? x : undefined;
};
export const getNumber = (v: AsnValue | undefined, name: string): number | undefined => {
  const x = get(v, name);
  return typeof x === 'number' ? x : undefined;
};
export const getString = (v: AsnValue | undefined, name: string): string | undefined => {
  const x = get(v, name);
  return typeof x === 'string' ? x : undefined;
};
export const getBool = (v: AsnValue | undefined, name: string): boolean | undefined => {
  const x = get(v, name);
  return typeof x === 'boolean' ? x : undefined;
};
export const getBytes = (v: AsnValue | undefined, name: string): Uint8Array | undefined => {
  const x = get(v, name);
  return x instanceof Uint8Array ? x : undefined;
};
export function getArray(v: AsnValue | undefined, name: string): readonly AsnValue[] {
  const x = get(v, name);
  return Array.isArray(x) ? (x as readonly AsnValue[]) : [];
}

/** The value of a CHOICE when its alternative is `name`. */
export function alt(v: AsnValue | undefined, name: string): AsnValue | undefined {
  return isChoice(v) && v.choice === name ? v.value : undefined;
}

/** `{ choice: a, value: { choice: b, ... } }` → [a, b, ...] (the path of nested alternatives). */
export function choicePath(v: AsnValue | undefined, depth: number): string[] {
  const out: string[] = [];
  let cur = v;
  for (let i = 0; i < depth && isChoice(cur); i++) {
    out.push(cur.choice);
    cur = cur.value;
  }
  return out;
}

const ipText = (b: Uint8Array): string | undefined => (b.length === 4 ? [...b].join('.') : undefined);

/** H.225.0 TransportAddress → IPv4 address and port (other kinds: undefined). */
export function h225IpPort(v: AsnValue | undefined): IpPort | undefined {
  const a = alt(v, 'ipAddress');
  const ip = getBytes(a, 'ip');
  const port = getNumber(a, 'port');
  const text = ip && ipText(ip);
  return text !== undefined && port !== undefined ? { ip: text, port } : undefined;
}

/** H.245 TransportAddress (unicastAddress.iPAddress) → IPv4 address and port. */
export function h245IpPort(v: AsnValue | undefined): IpPort | undefined {
  const a = alt(alt(v, 'unicastAddress'), 'iPAddress');
  const ip = getBytes(a, 'network');
  const port = getNumber(a, 'tsapIdentifier');
  const text = ip && ipText(ip);
  return text !== undefined && port !== undefined ? { ip: text, port } : undefined;
}

/** An AliasAddress as text: dialled digits, h323-ID, URL or e-mail; other kinds undefined. */
export function aliasText(v: AsnValue | undefined): string | undefined {
  if (!isChoice(v)) return undefined;
  if (['dialledDigits', 'h323-ID', 'url-ID', 'email-ID'].includes(v.choice) && typeof v.value === 'string') return v.value;
  // partyNumber (e.g. e164Number / privateNumber) carries digits in a nested publicNumber/privateNumber.
  if (v.choice === 'partyNumber') {
    const inner = isChoice(v.value) ? v.value.value : undefined;
    const digits = getString(inner, 'publicNumberDigits') ?? getString(inner, 'privateNumberDigits');
    return digits;
  }
  return undefined;
}

export function aliasTexts(list: readonly AsnValue[]): string[] {
  return list.map(aliasText).filter((s): s is string => s !== undefined);
}

/** A 16-octet GUID as the usual 8-4-4-4-12 hex text (also how tshark prints it). */
export function guidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return b.length === 16 ? `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` : h;
}
