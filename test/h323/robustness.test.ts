/**
 * Hostile input: random octets, truncations and bit flips of valid PDUs fed to the PER, Q.931
 * and TPKT decoders must only ever raise PerDecodeError / Q931DecodeError (a server drops the
 * PDU and lives on), never RangeError, TypeError or a stack overflow.
 */
import assert from 'node:assert/strict';
import * as h225 from '../../src/h323/asn1/generated/h225';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnType } from '../../src/h323/asn1/types';
import { PerDecodeError, perDecode, perEncode } from '../../src/h323/per';
import { Q931DecodeError } from '../../src/h323/q931/errors';
import { decodeQ931, userUserPdu } from '../../src/h323/q931/q931';
import { TpktReader } from '../../src/h323/q931/tpkt';
import { Rng, randomValue } from './support/random-values';
import { sampleMessages } from './support/sample-messages';

const TYPES: readonly [string, AsnType][] = [
  ['RasMessage', h225.RasMessage],
  ['H323-UserInformation', h225.H323_UserInformation],
  ['MultimediaSystemControlMessage', h245.MultimediaSystemControlMessage],
  ['OpenLogicalChannel', h245.OpenLogicalChannel],
];

function onlyDecodeErrors(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PerDecodeError || e instanceof Q931DecodeError, `${what}: ${String(e)}`);
    // perDecode wraps unexpected exceptions as a safety net; none may occur here.
    assert.doesNotMatch(String(e), /internal decoder failure/, what);
  }
}

describe('H.323 decoders on hostile input', function () {
  this.timeout(120_000);
  const rng = new Rng(1720);

  it('random octets', () => {
    for (const [name, type] of TYPES) {
      for (let i = 0; i < 3000; i++) {
        const bytes = Uint8Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255));
        onlyDecodeErrors(() => perDecode(type, bytes), `${name} ${Buffer.from(bytes).toString('hex')}`);
      }
    }
  });

  it('every truncation and random bit flips of valid encodings', () => {
    const valid: [AsnType, Uint8Array][] = sampleMessages().map((s) => [s.type, perEncode(s.type, s.value)]);
    for (const [, type] of TYPES) for (let i = 0; i < 40; i++) valid.push([type, perEncode(type, randomValue(type, rng, { maxDepth: 6 }))]);
    for (const [type, bytes] of valid) {
      for (let n = 0; n < bytes.length; n++) onlyDecodeErrors(() => perDecode(type, bytes.subarray(0, n)), `truncated to ${n}`);
      for (let k = 0; k < 30; k++) {
        const copy = Uint8Array.from(bytes);
        const bit = rng.int(0, copy.length * 8 - 1);
        copy[bit >> 3]! ^= 0x80 >> (bit & 7);
        onlyDecodeErrors(() => perDecode(type, copy), `bit ${bit} flipped`);
      }
    }
  });

  it('a length claiming far more than the input is rejected, not allocated', () => {
    // OCTET STRING-bearing open type with a 16K-fragment header and nothing behind it.
    assert.throws(() => perDecode(h245.MultimediaSystemControlMessage, Uint8Array.of(0x80, 0xc4)), PerDecodeError);
  });

  it('Q.931 and TPKT: random and truncated messages', () => {
    for (let i = 0; i < 5000; i++) {
      const bytes = Uint8Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255));
      if (i % 2) bytes[0] = 0x08;
      onlyDecodeErrors(
        () => {
          const m = decodeQ931(bytes);
          const uu = userUserPdu(m);
          if (uu) perDecode(h225.H323_UserInformation, uu);
        },
        `q931 ${Buffer.from(bytes).toString('hex')}`,
      );
      onlyDecodeErrors(() => new TpktReader().push(bytes), 'tpkt');
    }
  });
});
