/**
 * Writes a value as an Erlang term in the representation of Erlang's asn1 compiler with the
 * `maps` option: SEQUENCE → map (absent components left out), CHOICE → {Alt, Value},
 * ENUMERATED → atom, NULL → 'NULL', OCTET/BIT STRING → binary/bitstring, character strings →
 * lists of code points, OBJECT IDENTIFIER → tuple, open type → the contained value.
 */
import { type BitString, resolveType, type AsnType, type AsnValue, type SequenceValue } from '../../../src/h323/asn1/types';

const atom = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function bytes(b: Uint8Array): string {
  return `<<${[...b].join(',')}>>`;
}

function bits(b: BitString): string {
  const whole = b.length >> 3;
  const rest = b.length & 7;
  const parts = [...b.data.subarray(0, whole)].map(String);
  if (rest) parts.push(`${(b.data[whole] ?? 0) >> (8 - rest)}:${rest}`);
  return `<<${parts.join(',')}>>`;
}

export function erlangTerm(type: AsnType, v: AsnValue): string {
  const t = resolveType(type);
  switch (t.kind) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'null':
      return "'NULL'";
    case 'integer':
      return String(v);
    case 'enumerated':
      return atom(v as string);
    case 'bitstring':
      return bits(v as BitString);
    case 'octetstring':
      return bytes(v as Uint8Array);
    case 'charstring':
      return `[${[...(v as string)].map((c) => c.charCodeAt(0)).join(',')}]`;
    case 'oid':
      return `{${(v as string).split('.').join(',')}}`;
    case 'sequence': {
      const s = v as SequenceValue;
      const comps = [...t.root, ...(t.additions ?? [])].filter((c) => s[c.name] !== undefined);
      return `#{${comps.map((c) => `${atom(c.name)} => ${erlangTerm(c.type, s[c.name]!)}`).join(', ')}}`;
    }
    case 'sequenceof':
      return `[${(v as readonly AsnValue[]).map((x) => erlangTerm(t.of, x)).join(', ')}]`;
    case 'choice': {
      const c = v as { choice: string; value: AsnValue };
      const alt = [...t.root, ...(t.additions ?? [])].find((a) => a.name === c.choice);
      if (!alt) throw new Error(`unknown alternative ${c.choice}`);
      return `{${atom(c.choice)}, ${erlangTerm(alt.type, c.value)}}`;
    }
    case 'open':
      return erlangTerm(t.of, v);
  }
}
