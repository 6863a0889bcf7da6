/**
 * Seeded random values for any descriptor, valid for their PER-visible constraints, used to
 * cross-check the codec against Erlang. Depth is bounded: past `maxDepth`, optional components
 * are left out, SEQUENCE OFs take their minimum size and CHOICEs their cheapest alternative
 * (by a memoised estimate of the smallest value of each type), so recursive H.245 types end.
 */
import { BitString, resolveType, type AsnType, type AsnValue, type SequenceValue } from '../../../src/h323/asn1/types';
import { charCoding } from '../../../src/h323/per/strings';
import { Rng } from '../../support/rng';

export { Rng };

const costMemo = new WeakMap<object, number>();
const inProgress = new WeakSet<object>();

/** Rough size of the smallest value of a type (Infinity for a cycle being explored). */
function cost(type: AsnType): number {
  const t = resolveType(type);
  const hit = costMemo.get(t);
  if (hit !== undefined) return hit;
  if (inProgress.has(t)) return Infinity;
  inProgress.add(t);
  let c = 1;
  switch (t.kind) {
    case 'sequence':
      c = 1 + t.root.filter((x) => !x.optional).reduce((s, x) => s + cost(x.type), 0);
      break;
    case 'choice':
      c = 1 + Math.min(...t.root.map((a) => cost(a.type)));
      break;
    case 'sequenceof':
      c = 1 + (t.size?.lb ?? 0) * cost(t.of);
      break;
    case 'open':
      c = 1 + cost(t.of);
      break;
    default:
      c = 1;
  }
  inProgress.delete(t);
  if (Number.isFinite(c)) costMemo.set(t, c);
  return c;
}

/** Vietnamese names need code points above 255; Erlang's BMPString encoder only takes Latin-1. */
export const BMP_FULL = 'AaZz09 -_.@Đđăâêôơưạảấầẩẫậ€中';
export const BMP_LATIN1 = 'AaZz09 -_.@éÉçÿ';

export interface GenOptions {
  readonly maxDepth: number;
  /** Characters to draw BMPString values from (default BMP_FULL). */
  readonly bmpAlphabet?: string;
}

export function randomValue(type: AsnType, rng: Rng, opts: GenOptions = { maxDepth: 6 }, depth = 0): AsnValue {
  const t = resolveType(type);
  const deep = depth >= opts.maxDepth;
  const len = (lb: number, ub: number | undefined, spread: number): number => {
    const hi = Math.min(ub ?? lb + spread, lb + spread);
    if (rng.chance(0.1) && ub !== undefined && ub < lb + 300) return ub;
    return rng.int(lb, Math.max(lb, hi));
  };
  switch (t.kind) {
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'integer': {
      const r = t.range;
      if (!r) return rng.chance(0.3) ? rng.int(-200, 200) : rng.int(-(2 ** 31), 2 ** 31 - 1);
      if (r.ub === undefined) return r.lb + (rng.chance(0.5) ? rng.int(0, 300) : rng.int(0, 2 ** 32));
      if (r.extensible && rng.chance(0.15)) return r.ub + rng.int(1, 100000);
      const x = rng.next();
      if (x < 0.1) return r.lb;
      if (x < 0.2) return r.ub;
      return rng.int(r.lb, r.ub);
    }
    case 'enumerated':
      return t.additions?.length && rng.chance(0.3) ? rng.pick(t.additions) : rng.pick(t.root);
    case 'bitstring': {
      const n = len(t.size?.lb ?? 0, t.size?.ub, 40);
      return new BitString(
        Uint8Array.from({ length: Math.ceil(n / 8) }, (_, i) => {
          const b = rng.int(0, 255);
          const rest = n - i * 8;
          return rest >= 8 ? b : b & (0xff << (8 - rest)) & 0xff;
        }),
        n,
      );
    }
    case 'octetstring': {
      const n = rng.chance(0.05) && (t.size?.ub ?? 1000) >= 200 && (t.size?.lb ?? 0) <= 200 ? 200 : len(t.size?.lb ?? 0, t.size?.ub, 12);
      return Uint8Array.from({ length: n }, () => rng.int(0, 255));
    }
    case 'charstring': {
      const n = len(t.size?.lb ?? 0, t.size?.ub, 12);
      let alphabet: readonly number[];
      if (t.stringType === 'BMPString') alphabet = [...(opts.bmpAlphabet ?? BMP_FULL)].map((c) => c.charCodeAt(0));
      else if (t.stringType === 'GeneralString') alphabet = [...'abcXYZ 0123#'].map((c) => c.charCodeAt(0));
      else alphabet = [...(charCoding(t).permitted ?? [])];
      return String.fromCharCode(...Array.from({ length: n }, () => rng.pick(alphabet)));
    }
    case 'oid': {
      const a0 = rng.int(0, 2);
      const arcs = [a0, rng.int(0, a0 === 2 ? 100 : 39)];
      for (let i = rng.int(0, 5); i > 0; i--) arcs.push(rng.chance(0.5) ? rng.int(0, 127) : rng.int(0, 2 ** 28));
      return arcs.join('.');
    }
    case 'sequence': {
      const out: SequenceValue = {};
      const pOpt = deep ? 0 : depth < 3 ? 0.5 : 0.2;
      for (const c of t.root) if (!c.optional || rng.chance(pOpt)) out[c.name] = randomValue(c.type, rng, opts, depth + 1);
      // Mandatory extension additions are always present (Erlang requires them on encode).
      for (const c of t.additions ?? []) {
        if (!c.optional || rng.chance(pOpt * 0.6)) out[c.name] = randomValue(c.type, rng, opts, depth + 1);
      }
      return out;
    }
    case 'sequenceof': {
      const lb = t.size?.lb ?? 0;
      const n = deep ? lb : rng.int(lb, Math.min(t.size?.ub ?? lb + 3, lb + 3));
      return Array.from({ length: n }, () => randomValue(t.of, rng, opts, depth + 1));
    }
    case 'choice': {
      let alt: (typeof t.root)[number];
      if (deep) alt = [...t.root].sort((a, b) => cost(a.type) - cost(b.type))[0]!;
      else alt = t.additions?.length && rng.chance(0.3) ? rng.pick(t.additions) : rng.pick(t.root);
      return { choice: alt.name, value: randomValue(alt.type, rng, opts, depth + 1) };
    }
    case 'open':
      return randomValue(t.of, rng, opts, depth + 1);
  }
}
