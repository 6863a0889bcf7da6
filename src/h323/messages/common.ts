/** Shared helpers for building H.225/H.245 values (see ../asn1/types for the value model). */
import type { AsnValue, ChoiceValue, SequenceValue } from '../asn1/types';

/** H.225.0 version 7 and H.245 version 15, the module versions the descriptors come from. */
export const H225_PROTOCOL_ID = '0.0.8.2250.0.7';
export const H245_PROTOCOL_ID = '0.0.8.245.0.15';

export const choice = (name: string, value: AsnValue = null): ChoiceValue => ({ choice: name, value });

/** Copies `fields` leaving out undefined ones, so optional components stay absent. */
export function seq(fields: Record<string, AsnValue | undefined>): SequenceValue {
  const out: SequenceValue = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

export function ipv4(addr: string): Uint8Array {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${addr}`);
  return Uint8Array.from(parts);
}

export interface IpPort {
  readonly ip: string;
  readonly port: number;
}

/** H.225.0 TransportAddress (ipAddress alternative). */
export const h225Address = (a: IpPort): ChoiceValue => choice('ipAddress', { ip: ipv4(a.ip), port: a.port });

/** Where RTCP goes for an RTP address: the next port up (RFC 3550 11), as every H.245 mediaControlChannel we send says. */
export const rtcpAddress = (rtp: IpPort): IpPort => ({ ip: rtp.ip, port: rtp.port + 1 });

/** H.245 TransportAddress (unicastAddress / iPAddress). */
export const h245Address = (a: IpPort): ChoiceValue => choice('unicastAddress', choice('iPAddress', { network: ipv4(a.ip), tsapIdentifier: a.port }));

/** AliasAddress: digits become dialledDigits, anything else h323-ID (BMPString). */
export function alias(a: string): ChoiceValue {
  return /^[0-9#*,]{1,128}$/.test(a) ? choice('dialledDigits', a) : choice('h323-ID', a);
}

/** A random 16-octet GloballyUniqueID / ConferenceIdentifier. */
export function guid(random: (n: number) => Uint8Array): Uint8Array {
  return random(16);
}

/** Our VendorIdentifier: T.35 country 0xB5 (USA, the usual choice of open-source stacks) with no code of our own. */
export const VENDOR = seq({
  vendor: { t35CountryCode: 181, t35Extension: 0, manufacturerCode: 0 },
  productId: new TextEncoder().encode('diemcau'),
  versionId: new TextEncoder().encode('0.1'),
});
