/**
 * Aligned PER decoder, the mirror of encode.ts. Input is untrusted: every failure is a
 * PerDecodeError (bounds are checked by BitReader; nesting depth is capped because a CHOICE
 * of one recursive alternative consumes no bits and could otherwise recurse without end).
 * Extension additions this version does not know are kept as raw octets (UNKNOWN_EXTENSIONS,
 * `$ext<n>` choices/enumerations) so that a re-encode carries them through untouched, and a
 * SEQUENCE's extension-bitmap length is recorded (EXTENSION_BITMAP_LENGTH) so that a re-encode
 * reproduces the sender's bytes.
 */
import {
  BitString,
  EXTENSION_BITMAP_LENGTH,
  UNKNOWN_EXTENSIONS,
  resolveType,
  type AsnType,
  type AsnValue,
  type Bounds,
  type CharStringType,
  type ChoiceType,
  type SequenceType,
  type SequenceValue,
  type UnknownExtension,
} from '../asn1/types';
import { BitReader } from './bit-buffer';
import { PerDecodeError } from './errors';
import {
  K64,
  concat,
  readConstrained,
  readLengthAndItems,
  readNormallySmall,
  readNormallySmallLength,
  readOctetsWithLength,
  readSemiConstrained,
  readUnconstrained,
} from './numbers';
import { bytesToOid, charCoding } from './strings';

const MAX_DEPTH = 256;

/** Decodes a complete PDU. Trailing octets after the value are ignored (padding). */
export function perDecode(type: AsnType, bytes: Uint8Array): AsnValue {
  return perDecodePrefix(type, bytes).value;
}

/** Decodes one value from the start of `bytes`, also telling how many bits it used. */
export function perDecodePrefix(type: AsnType, bytes: Uint8Array): { value: AsnValue; bits: number } {
  const r = new BitReader(bytes);
  try {
    const value = decodeFrom(r, type, 0);
    return { value, bits: r.position };
  } catch (e) {
    if (e instanceof PerDecodeError) throw e;
    // Defensive: nothing below should throw anything else, but a bug must not crash a server.
    throw new PerDecodeError(`internal decoder failure: ${e instanceof Error ? e.message : String(e)}`, r.position);
  }
}

export function decodeFrom(r: BitReader, type: AsnType, depth: number): AsnValue {
  if (depth > MAX_DEPTH) throw new PerDecodeError('nesting too deep', r.position);
  const t = resolveType(type);
  switch (t.kind) {
    case 'boolean':
      return r.readBit('BOOLEAN');
    case 'null':
      return null;
    case 'integer':
      return decodeInteger(r, t.range);
    case 'enumerated': {
      if (t.additions && r.readBit('enumerated extension bit')) {
        const j = readNormallySmall(r, 'enumerated');
        return t.additions[j] ?? `$ext${j}`;
      }
      return t.root[readConstrained(r, 0, t.root.length - 1, 'enumerated')]!;
    }
    case 'bitstring': {
      let parts: Uint8Array[] = [];
      let total = 0;
      readSized(r, t.size, 1, (count) => {
        parts.push(r.readBitsTo(count));
        total += count;
      });
      if (parts.length > 1) parts = [packBits(parts, total)];
      return new BitString(parts[0] ?? new Uint8Array(0), total);
    }
    case 'octetstring': {
      const parts: Uint8Array[] = [];
      readSized(r, t.size, 8, (count) => parts.push(r.readBytes(count, 'OCTET STRING')));
      return parts.length ? concat(parts) : new Uint8Array(0);
    }
    case 'charstring':
      return decodeCharString(r, t);
    case 'oid': {
      const oid = bytesToOid(readOctetsWithLength(r, 'OBJECT IDENTIFIER'));
      if (oid === undefined) throw new PerDecodeError('malformed OBJECT IDENTIFIER', r.position);
      return oid;
    }
    case 'sequence':
      return decodeSequence(r, t, depth);
    case 'sequenceof': {
      const items: AsnValue[] = [];
      const readItems = (count: number): void => {
        for (let i = 0; i < count; i++) items.push(decodeFrom(r, t.of, depth + 1));
      };
      const size = t.size;
      const ext = size?.extensible ? r.readBit('SEQUENCE OF extension bit') : false;
      if (!ext && size && size.lb === size.ub && size.ub < K64) readItems(size.ub);
      else if (!ext && size) readLengthAndItems(r, size.lb, size.ub, 'SEQUENCE OF', readItems);
      else readLengthAndItems(r, 0, undefined, 'SEQUENCE OF', readItems);
      return items;
    }
    case 'choice':
      return decodeChoice(r, t, depth);
    case 'open':
      return decodeOpen(readOctetsWithLength(r, 'open type'), t.of, depth, r.position);
  }
}

function decodeOpen(bytes: Uint8Array, type: AsnType, depth: number, at: number): AsnValue {
  if (bytes.length === 0) throw new PerDecodeError('empty open type', at);
  return decodeFrom(new BitReader(bytes), type, depth + 1);
}

function packBits(parts: readonly Uint8Array[], total: number): Uint8Array {
  // Fragments of a BIT STRING are multiples of 16K bits, so whole octets until the last one.
  const out = concat(parts);
  return out.subarray(0, Math.ceil(total / 8));
}

function decodeInteger(r: BitReader, range: { lb: number; ub?: number; extensible?: boolean } | undefined): number {
  if (!range) return readUnconstrained(r, 'INTEGER');
  if (range.extensible && r.readBit('INTEGER extension bit')) return readUnconstrained(r, 'INTEGER');
  if (range.ub === undefined) return readSemiConstrained(r, range.lb, 'INTEGER');
  return readConstrained(r, range.lb, range.ub, 'INTEGER');
}

function readSized(r: BitReader, size: Bounds | undefined, unit: number, items: (count: number) => void): void {
  const ext = size?.extensible ? r.readBit('size extension bit') : false;
  const eff = ext ? undefined : size;
  if (eff && eff.lb === eff.ub) {
    if (eff.ub === 0) return;
    if (eff.ub * unit <= 16) {
      items(eff.ub);
      return;
    }
    if (eff.ub < K64) {
      r.align();
      items(eff.ub);
      return;
    }
  }
  readLengthAndItems(r, eff?.lb ?? 0, eff?.ub, 'string', (count) => {
    r.align();
    items(count);
  });
}

function decodeCharString(r: BitReader, t: CharStringType): string {
  if (t.stringType === 'GeneralString') {
    const parts: Uint8Array[] = [];
    readSized(r, t.size, 8, (count) => parts.push(r.readBytes(count, 'GeneralString')));
    return String.fromCharCode(...(parts.length ? concat(parts) : []));
  }
  const coding = charCoding(t);
  let out = '';
  const readChars = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const raw = r.readBits(coding.bits, t.stringType);
      const code = coding.indexed ? coding.indexed[raw] : raw;
      if (code === undefined || (coding.permitted && !coding.permitted.has(code))) {
        throw new PerDecodeError(`character ${raw} not permitted in ${t.stringType}`, r.position);
      }
      out += String.fromCharCode(code);
    }
  };
  const size = t.size;
  const ext = size?.extensible ? r.readBit('size extension bit') : false;
  const eff = ext ? undefined : size;
  if (eff && eff.lb === eff.ub && eff.ub < K64) {
    if (eff.ub * coding.bits > 16) r.align();
    readChars(eff.ub);
    return out;
  }
  readLengthAndItems(r, eff?.lb ?? 0, eff?.ub, t.stringType, (count) => {
    r.align();
    readChars(count);
  });
  return out;
}

function decodeSequence(r: BitReader, t: SequenceType, depth: number): SequenceValue {
  const ext = t.additions ? r.readBit('SEQUENCE extension bit') : false;
  const present = t.root.map((c) => (c.optional || c.defaultValue !== undefined ? r.readBit(`${c.name} presence`) : true));
  const out: SequenceValue = {};
  t.root.forEach((c, i) => {
    if (present[i]) out[c.name] = decodeFrom(r, c.type, depth + 1);
    else if (c.defaultValue !== undefined) out[c.name] = c.defaultValue;
  });
  if (!ext) return out;
  const n = readNormallySmallLength(r, 'extension bitmap length');
  const bitmap: boolean[] = [];
  for (let i = 0; i < n; i++) bitmap.push(r.readBit('extension bitmap'));
  const unknown: UnknownExtension[] = [];
  const additions = t.additions ?? [];
  for (let i = 0; i < n; i++) {
    if (!bitmap[i]) continue;
    const bytes = readOctetsWithLength(r, 'extension addition');
    const c = additions[i];
    if (c) out[c.name] = decodeOpen(bytes, c.type, depth, r.position);
    else unknown.push({ index: i, encoding: bytes });
  }
  if (unknown.length) out[UNKNOWN_EXTENSIONS] = unknown;
  // Non-enumerable (see EXTENSION_BITMAP_LENGTH): spreads and deepEqual leave it out.
  Object.defineProperty(out, EXTENSION_BITMAP_LENGTH, { value: n });
  return out;
}

function decodeChoice(r: BitReader, t: ChoiceType, depth: number): AsnValue {
  if (t.additions && r.readBit('CHOICE extension bit')) {
    const j = readNormallySmall(r, 'CHOICE extension index');
    const bytes = readOctetsWithLength(r, 'CHOICE extension');
    const alt = t.additions[j];
    if (!alt) return { choice: `$ext${j}`, value: bytes };
    return { choice: alt.name, value: decodeOpen(bytes, alt.type, depth, r.position) };
  }
  const i = readConstrained(r, 0, t.root.length - 1, 'CHOICE index');
  const alt = t.root[i]!;
  return { choice: alt.name, value: decodeFrom(r, alt.type, depth + 1) };
}
