/**
 * Every H.225.0 (RAS, call signalling) and H.245 message of nDPI's public h323.pcap
 * ($H323_PCAP) is decoded and re-encoded to the very same bytes, although the senders used
 * older module versions with shorter extension bitmaps (the decoded values remember theirs).
 * Frames 59 (RAS) and 65 (Setup), which tshark also flags as malformed, must be rejected with
 * PerDecodeError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as h225 from '../../src/h323/asn1/generated/h225';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnType, AsnValue, SequenceValue } from '../../src/h323/asn1/types';
import { PerDecodeError, perDecodePrefix, perEncode, valuesEqual } from '../../src/h323/per';
import { decodeQ931, userUserPdu } from '../../src/h323/q931/q931';
import { capturedPdus, type CapturedPdu } from './support/capture';
import { envPath } from './support/env';
import { skipSuite } from '../support/skip';

const TITLE = 'H.323 capture corpus (nDPI h323.pcap)';
const pcap = envPath('H323_PCAP');
const MALFORMED_FRAMES = [59, 65];

interface Decoded {
  readonly type: AsnType;
  readonly bytes: Uint8Array;
  readonly value: AsnValue;
  readonly bits: number;
}

/** The PER payloads of a captured PDU: one per H.245 PDU for a TPKT carrying several. */
function decodePdu(p: CapturedPdu): Decoded[] {
  if (p.kind === 'ras') return [decodeOne(h225.RasMessage, p.bytes)];
  if (p.kind === 'q931') {
    const uu = userUserPdu(decodeQ931(p.bytes));
    if (!uu) return [];
    return [decodeOne(h225.H323_UserInformation, uu)];
  }
  const out: Decoded[] = [];
  let rest = p.bytes;
  while (rest.length > 0) {
    const d = decodeOne(h245.MultimediaSystemControlMessage, rest);
    out.push(d);
    rest = rest.subarray(Math.ceil(d.bits / 8));
  }
  return out;
}

function decodeOne(type: AsnType, bytes: Uint8Array): Decoded {
  const { value, bits } = perDecodePrefix(type, bytes);
  return { type, bytes: bytes.subarray(0, Math.ceil(bits / 8)), value, bits };
}

/** Tunnelled H.245 and fast start proposals inside H.225 messages, decoded as H.245. */
function nestedH245(v: AsnValue): Decoded[] {
  const pdu = (v as SequenceValue)['h323-uu-pdu'] as SequenceValue | undefined;
  if (!pdu) return [];
  const out: Decoded[] = [];
  for (const b of (pdu['h245Control'] as Uint8Array[] | undefined) ?? []) out.push(decodeOne(h245.MultimediaSystemControlMessage, b));
  const body = (pdu['h323-message-body'] as { value: AsnValue }).value as SequenceValue | null;
  for (const b of (body?.['fastStart'] as Uint8Array[] | undefined) ?? []) out.push(decodeOne(h245.OpenLogicalChannel, b));
  return out;
}

if (!pcap) skipSuite(TITLE, 'H323_PCAP is not set');
else {
  describe(TITLE, () => {
    const pdus = capturedPdus(readFileSync(pcap));

    it('round-trips every well-formed H.225/H.245 message byte for byte', () => {
      let count = 0;
      let sameBytes = 0;
      const failures: string[] = [];
      const kinds = new Map<string, number>();
      for (const p of pdus.filter((x) => !MALFORMED_FRAMES.includes(x.frame))) {
        const decoded = decodePdu(p);
        for (const d of decoded) {
          for (const x of [d, ...nestedH245(d.value)]) {
            const again = perEncode(x.type, x.value);
            assert.ok(valuesEqual(perDecodePrefix(x.type, again).value, x.value), `frame ${p.frame}: value changed in the round trip`);
            count++;
            if (Buffer.from(again).equals(Buffer.from(x.bytes))) sameBytes++;
            else failures.push(`frame ${p.frame}: ${Buffer.from(x.bytes).toString('hex')} re-encoded as ${Buffer.from(again).toString('hex')}`);
          }
          const alt = (d.value as { choice?: string; value?: { choice?: string } }).choice ?? 'h323-uu-pdu';
          kinds.set(`${p.kind}:${alt}`, (kinds.get(`${p.kind}:${alt}`) ?? 0) + 1);
        }
      }
      console.log(`      ${count} messages round-tripped (${sameBytes} byte for byte); ${[...kinds].map(([k, n]) => `${k}×${n}`).join(', ')}`);
      assert.ok(count >= 33, `only ${count} messages found (the capture has 33 well-formed ones)`);
      assert.deepEqual(failures, [], 'every message re-encodes to the bytes it was received as');
    });

    it('rejects the malformed frames 59 and 65 with PerDecodeError', () => {
      for (const frame of MALFORMED_FRAMES) {
        const p = pdus.find((x) => x.frame === frame);
        assert.ok(p, `frame ${frame} not found in the capture`);
        assert.throws(
          () => decodePdu(p),
          (e: unknown) => e instanceof PerDecodeError,
          `frame ${frame}`,
        );
      }
    });
  });
}
