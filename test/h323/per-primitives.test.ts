/**
 * Aligned PER primitives against hand-computed encodings (X.691 clauses 11-30; each vector
 * was also checked against Erlang's asn1 in aligned PER).
 */
import assert from 'node:assert/strict';
import { BitString, T, UNKNOWN_EXTENSIONS, type AsnType, type AsnValue, type SequenceValue } from '../../src/h323/asn1/types';
import { BitReader, BitWriter, PerDecodeError, perDecode, perEncode, valuesEqual } from '../../src/h323/per';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** SEQUENCE { a BOOLEAN, s <type> }: the leading bit shows alignment effects. */
const withFlag = (t: AsnType): AsnType => T.seq([T.f('a', T.bool()), T.f('s', t)]);

function vector(type: AsnType, value: AsnValue, expected: string): void {
  assert.equal(hex(perEncode(type, value)), expected);
  assert.ok(valuesEqual(perDecode(type, Buffer.from(expected, 'hex')), value), `decode of ${expected}`);
}

describe('aligned PER primitives', () => {
  it('bit writer/reader align and bound-check', () => {
    const w = new BitWriter();
    w.writeBits(5, 3);
    w.align();
    w.writeBytes(Uint8Array.from([0xab]));
    w.writeBit(1);
    assert.equal(hex(w.toBytes()), 'a0ab80');
    const r = new BitReader(w.toBytes());
    assert.equal(r.readBits(3), 5);
    r.align();
    assert.equal(r.readBits(8), 0xab);
    assert.throws(() => r.readBits(9), PerDecodeError);
  });

  it('constrained integers: bit-field, one octet, two octets, length + octets', () => {
    vector(withFlag(T.int(0, 7)), { a: true, s: 5 }, 'd0');
    vector(withFlag(T.int(0, 255)), { a: true, s: 255 }, '80ff');
    vector(withFlag(T.int(0, 65535)), { a: true, s: 1720 }, '8006b8');
    vector(withFlag(T.int(0, 4294967295)), { a: true, s: 0 }, '8000');
    vector(withFlag(T.int(0, 4294967295)), { a: true, s: 256 }, 'a00100');
    vector(withFlag(T.int(0, 4294967295)), { a: true, s: 4294967295 }, 'e0ffffffff');
    vector(T.int(1, 1), 1, '00');
  });

  it('semi-constrained, unconstrained and extensible integers', () => {
    const t = T.seq([T.f('a', T.bool()), T.f('s', T.int()), T.f('b', T.int(1)), T.f('c', T.int(0, 16383, true))]);
    vector(t, { a: true, s: -129, b: 300, c: 16384 }, '8002ff7f02012b80024000');
    vector(t, { a: true, s: 127, b: 1, c: 5 }, '80017f0100000005');
  });

  it('enumerated and choice with extensions (normally small numbers, open types)', () => {
    const e = T.enumerated(['x', 'y', 'z'], ['w']);
    vector(e, 'y', '20');
    vector(e, 'w', '80');
    const c = T.choice([T.alt('a', T.bool()), T.alt('b', T.nul())], [T.alt('c', T.nul()), T.alt('d', T.int())]);
    vector(c, { choice: 'a', value: true }, '20');
    vector(c, { choice: 'b', value: null }, '40');
    vector(c, { choice: 'c', value: null }, '800100');
    vector(c, { choice: 'd', value: 1000 }, '81030203e8');
  });

  it('sequence extension additions: bitmap over all known additions, NULL as one octet', () => {
    const t = T.seq([T.f('a', T.bool())], [T.opt('x', T.bool()), T.opt('y', T.nul()), T.opt('z', T.int())]);
    vector(t, { a: true }, '40');
    vector(t, { a: true, x: true }, 'c1400180');
    vector(t, { a: true, y: null }, 'c1200100');
    vector(t, { a: true, z: -1 }, 'c1100201ff');
  });

  it('octet and bit strings: fixed ≤ 2 octets unaligned, larger aligned, lengths', () => {
    const flagged = (t: AsnType): AsnType => T.seq([T.f('a', T.bool()), T.f('s', t), T.f('b', T.bool())]);
    vector(flagged(T.octets(T.size(2, 2))), { a: true, s: Uint8Array.of(1, 2), b: true }, '808140');
    vector(flagged(T.octets(T.size(3, 3))), { a: true, s: Uint8Array.of(1, 2, 3), b: true }, '8001020380');
    vector(flagged(T.octets(T.size(0, 10))), { a: true, s: new Uint8Array(0), b: true }, '8080');
    vector(flagged(T.octets()), { a: true, s: new Uint8Array(0), b: true }, '800080');
    vector(flagged(T.bits(T.size(16, 16))), { a: true, s: new BitString(Uint8Array.of(1, 2), 16), b: true }, '808140');
    vector(flagged(T.bits(T.size(17, 17))), { a: true, s: new BitString(Uint8Array.of(1, 2, 0x80), 17), b: true }, '800102c0');
    vector(withFlag(T.bits(T.size(0, 10))), { a: true, s: BitString.fromBits([0, 0, 1]) }, '9820');
  });

  it('character strings: effective alphabets (H.225 digits in 4 bits), alignment, BMP', () => {
    vector(withFlag(T.str('IA5String', T.size(0, 10))), { a: true, s: 'A' }, '8841');
    vector(withFlag(T.str('NumericString', T.size(1, 4))), { a: true, s: '1234' }, 'e02345');
    vector(withFlag(T.str('IA5String', T.size(1, 128), '0123456789#*,')), { a: true, s: '#*,0' }, '830123');
    vector(withFlag(T.str('IA5String', T.size(1, 1), '0123456789#*ABCD!')), { a: true, s: '5' }, '9a80');
    vector(withFlag(T.str('IA5String', T.size(2, 4), '0123456789ABCDE')), { a: true, s: 'ABCD' }, 'c0abcd');
    vector(withFlag(T.str('BMPString', T.size(1, 128))), { a: true, s: 'A' }, '800041');
    vector(withFlag(T.str('BMPString', T.size(1, 128))), { a: true, s: 'Đà' }, '81011000e0');
    vector(withFlag(T.str('GeneralString')), { a: true, s: 'ab' }, '80026162');
    assert.throws(() => perEncode(T.str('IA5String', undefined, '0123456789'), 'x'), /not permitted/);
  });

  it('object identifiers and sequence-of sizes', () => {
    vector(T.seq([T.f('a', T.bool()), T.f('s', T.oid()), T.f('b', T.bool())]), { a: true, s: '0.0.8.2250.0.7', b: true }, '80060008914a000780');
    vector(withFlag(T.seqOf(T.bool(), T.size(0, 3))), { a: true, s: [true] }, 'b0');
  });

  it('fragments lengths of 16K and more (X.691 11.9.3.8)', () => {
    const big = Uint8Array.from({ length: 70000 }, (_, i) => i & 0xff);
    const enc = perEncode(T.octets(), big);
    assert.equal(enc[0], 0xc4); // 4 × 16K
    assert.equal(enc.length, 1 + 65536 + 2 + (70000 - 65536));
    assert.ok(valuesEqual(perDecode(T.octets(), enc), big));
    const exact = new Uint8Array(16384);
    const e2 = perEncode(T.octets(), exact);
    assert.equal(hex(e2.subarray(0, 1)), 'c1');
    assert.equal(e2[e2.length - 1], 0); // final zero length
    assert.equal((perDecode(T.octets(), e2) as Uint8Array).length, 16384);
  });

  it('keeps unknown extension additions and alternatives and re-emits them untouched', () => {
    const v2 = T.seq([T.f('a', T.bool())], [T.opt('x', T.bool()), T.opt('y', T.int(0, 255))]);
    const v1 = T.seq([T.f('a', T.bool())], [T.opt('x', T.bool())]);
    const bytes = perEncode(v2, { a: true, x: false, y: 200 });
    const old = perDecode(v1, bytes) as SequenceValue;
    assert.deepEqual(old[UNKNOWN_EXTENSIONS], [{ index: 1, encoding: Uint8Array.of(200) }]);
    assert.equal(hex(perEncode(v1, old)), hex(bytes));
    const c2 = T.choice([T.alt('a', T.nul())], [T.alt('b', T.nul()), T.alt('c', T.octets())]);
    const c1 = T.choice([T.alt('a', T.nul())], [T.alt('b', T.nul())]);
    const cb = perEncode(c2, { choice: 'c', value: Uint8Array.of(9, 9) });
    const cv = perDecode(c1, cb);
    assert.deepEqual(cv, { choice: '$ext1', value: Uint8Array.of(2, 9, 9) });
    assert.equal(hex(perEncode(c1, cv)), hex(cb));
    const e1 = T.enumerated(['p'], []);
    assert.equal(perDecode(e1, perEncode(T.enumerated(['p'], ['q', 'r']), 'r')), '$ext1');
  });

  it('re-encodes a decoded SEQUENCE with the extension bitmap it was received with', () => {
    const v3 = T.seq([T.f('a', T.bool())], [T.opt('x', T.bool()), T.opt('y', T.int(0, 255)), T.opt('z', T.bool())]);
    const v1 = T.seq([T.f('a', T.bool())], [T.opt('x', T.bool())]);
    // An older sender's bitmap covers its one addition: ext 1, a 1, length-1 0000000, bitmap 1; x.
    const short = perEncode(v1, { a: true, x: false });
    assert.equal(hex(short), 'c0400100');
    const decoded = perDecode(v3, short) as SequenceValue;
    assert.deepEqual(decoded as AsnValue, { a: true, x: false }); // the recorded length is not enumerable
    assert.equal(hex(perEncode(v3, decoded)), 'c0400100');
    // Built fresh (or copied by spreading), the bitmap spans all three known additions.
    assert.equal(hex(perEncode(v3, { a: true, x: false })), 'c1400100');
    assert.equal(hex(perEncode(v3, { ...decoded })), 'c1400100');
    // A later addition the recorded bitmap cannot cover: back to the full bitmap, still valid.
    decoded['z'] = true;
    const longer = perEncode(v3, decoded);
    assert.equal(hex(longer), 'c15001000180');
    assert.ok(valuesEqual(perDecode(v3, longer), { a: true, x: false, z: true }));
  });

  it('reports encoder misuse with the path of the bad component', () => {
    const t = T.seq([T.f('port', T.int(0, 65535))]);
    assert.throws(() => perEncode(t, { port: 70000 }), /outside 0\.\.65535/);
    assert.throws(() => perEncode(t, {}), /\$\.port: mandatory component missing/);
  });
});
