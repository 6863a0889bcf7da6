import assert from 'node:assert/strict';
import { BfcpDecodeError, BfcpStreamFramer, decodeBfcp, encodeBfcp } from '../../src/bfcp/codec';
import { Rng } from '../support/rng';
import { sampleMessages } from './samples';

/** Decoding anything either yields a message that re-encodes to itself or throws BfcpDecodeError. */
function check(bytes: Uint8Array, counts: { ok: number; rejected: number }): void {
  let m: ReturnType<typeof decodeBfcp>;
  try {
    m = decodeBfcp(bytes);
  } catch (e) {
    if (!(e instanceof BfcpDecodeError)) throw new Error(`non-BfcpDecodeError on ${Buffer.from(bytes).toString('hex')}: ${String(e)}`);
    counts.rejected++;
    return;
  }
  counts.ok++;
  assert.deepEqual(decodeBfcp(encodeBfcp(m)), m, Buffer.from(bytes).toString('hex'));
}

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  const b = Uint8Array.from(src);
  switch (rng.int(0, 5)) {
    case 0:
      for (let i = rng.int(1, 4); i > 0; i--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      return b;
    case 1:
      return b.subarray(0, rng.int(0, b.length - 1));
    case 2:
      return Uint8Array.from([...b, ...Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 255))]);
    case 3: {
      // Rewrite an attribute length octet somewhere in the payload.
      if (b.length > 13) b[rng.int(13, b.length - 1)] = rng.int(0, 255);
      return b;
    }
    case 4:
      b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
      return b;
    default: {
      // Payload length field made to agree with a truncation, so the attribute walk itself is tested.
      const cut = b.subarray(0, 12 + 4 * rng.int(0, Math.max(0, (b.length - 12) / 4)));
      const out = Uint8Array.from(cut);
      if (out.length >= 4) {
        out[2] = ((out.length - 12) / 4) >> 8;
        out[3] = ((out.length - 12) / 4) & 0xff;
      }
      return out;
    }
  }
}

describe('BFCP codec fuzz (seeded)', () => {
  const seeds = [...sampleMessages(), ...sampleMessages({ version: 2, responder: true })].map(encodeBfcp);

  it('random octets: only BfcpDecodeError', () => {
    const rng = new Rng(0xbfc9);
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < 5000; i++) {
      const len = rng.chance(0.5) ? 12 + 4 * rng.int(0, 16) : rng.int(0, 80);
      const b = Uint8Array.from({ length: len }, () => rng.int(0, 255));
      if (len >= 4 && rng.chance(0.7)) {
        b[0] = (rng.int(1, 2) << 5) | (b[0]! & 0x1f & ~0x08);
        b[2] = 0;
        b[3] = Math.max(0, (len - 12) >> 2);
      }
      check(b, counts);
    }
    assert.ok(counts.rejected > 1000, JSON.stringify(counts));
  });

  it('mutated valid messages: only BfcpDecodeError, and some still decode', () => {
    const rng = new Rng(8855);
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < 20000; i++) check(mutate(rng, rng.pick(seeds)), counts);
    assert.ok(counts.ok > 500 && counts.rejected > 5000, JSON.stringify(counts));
  });

  it('the stream framer on random chunks: only BfcpDecodeError', () => {
    const rng = new Rng(4582);
    for (let round = 0; round < 300; round++) {
      const f = new BfcpStreamFramer(2048);
      try {
        for (let i = 0; i < 20; i++) {
          const chunk = rng.chance(0.5) ? rng.pick(seeds) : Uint8Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255));
          for (const m of f.push(chunk)) assert.ok(m.length >= 12);
          assert.ok(f.pending < 2048);
        }
      } catch (e) {
        if (!(e instanceof BfcpDecodeError)) throw e;
      }
    }
  });
});
