/**
 * Aligned PER encoder (X.691, BASIC-PER ALIGNED) driven by the descriptors of ../asn1/types.
 *
 * Choices made where X.691 leaves freedom, matching Erlang's asn1 (the cross-check reference):
 * the extension-addition bitmap spans every addition this version knows (plus any unknown ones
 * carried from a decoded value); DEFAULT components equal to their default are omitted; an
 * octet-aligned field after a constrained length is aligned even when empty. The one exception
 * is a decoded SEQUENCE, which keeps the bitmap length it was received with while that still
 * covers its present additions (EXTENSION_BITMAP_LENGTH), so that re-encoding is byte-faithful.
 */
import {
  EXTENSION_BITMAP_LENGTH,
  UNKNOWN_EXTENSIONS,
  resolveType,
  type AsnType,
  type AsnValue,
  type Bounds,
  type CharStringType,
  type ChoiceType,
  type SequenceType,
} from '../asn1/types';
import { BitWriter } from './bit-buffer';
import { PerEncodeError } from './errors';
import {
  K64,
  writeConstrained,
  writeLengthAndItems,
  writeNormallySmall,
  writeNormallySmallLength,
  writeOctetsWithLength,
  writeSemiConstrained,
  writeUnconstrained,
} from './numbers';
import { charCoding, oidToBytes } from './strings';
import { asArray, asBits, asBoolean, asBytes, asChoice, asNumber, asSequence, asString, valuesEqual } from './value-guards';

/** Encodes a complete PDU; an empty encoding becomes one zero octet (X.691 11.1). */
export function perEncode(type: AsnType, value: AsnValue): Uint8Array {
  const w = new BitWriter();
  encodeInto(w, type, value, '$');
  const out = w.toBytes();
  return out.length === 0 ? new Uint8Array(1) : out;
}

/** Writes `type`'s encoding of `value` at the writer's current position. */
export function encodeInto(w: BitWriter, type: AsnType, value: AsnValue, path: string): void {
  const t = resolveType(type);
  switch (t.kind) {
    case 'boolean':
      w.writeBit(asBoolean(value, path));
      return;
    case 'null':
      if (value !== null) throw new PerEncodeError(`${path}: expected null`);
      return;
    case 'integer':
      return encodeInteger(w, t.range, asNumber(value, path));
    case 'enumerated':
      return encodeEnumerated(w, t.root, t.additions, asString(value, path), path);
    case 'bitstring': {
      const b = asBits(value, path);
      return encodeSized(w, b.length, t.size, 1, (from, count) => {
        if (from === 0) w.writeBitsFrom(b.data, count);
        else for (let i = from; i < from + count; i++) w.writeBit(b.bit(i));
      });
    }
    case 'octetstring': {
      const o = asBytes(value, path);
      return encodeSized(w, o.length, t.size, 8, (from, count) => w.writeBytes(o.subarray(from, from + count)));
    }
    case 'charstring':
      return encodeCharString(w, t, asString(value, path), path);
    case 'oid': {
      const bytes = oidToBytes(asString(value, path));
      if (!bytes) throw new PerEncodeError(`${path}: bad OBJECT IDENTIFIER ${String(value)}`);
      return writeOctetsWithLength(w, bytes);
    }
    case 'sequence':
      return encodeSequence(w, t, value, path);
    case 'sequenceof': {
      const items = asArray(value, path);
      const writeItems = (from: number, count: number): void => {
        for (let i = from; i < from + count; i++) encodeInto(w, t.of, items[i]!, `${path}[${i}]`);
      };
      const size = t.size;
      const inRoot = !size || (items.length >= size.lb && (size.ub === undefined || items.length <= size.ub));
      if (size?.extensible) w.writeBit(!inRoot);
      else if (!inRoot) throw new PerEncodeError(`${path}: ${items.length} items outside SIZE(${size?.lb}..${size?.ub})`);
      if (inRoot && size && size.lb === size.ub && size.ub < K64) {
        writeItems(0, items.length);
        return;
      }
      if (inRoot && size) writeLengthAndItems(w, items.length, size.lb, size.ub, writeItems);
      else writeLengthAndItems(w, items.length, 0, undefined, writeItems);
      return;
    }
    case 'choice':
      return encodeChoice(w, t, value, path);
    case 'open':
      return writeOpen(w, t.of, value, path);
  }
}

function writeOpen(w: BitWriter, type: AsnType, value: AsnValue, path: string): void {
  writeOctetsWithLength(w, encodeOpenContents(type, value, path));
}

function encodeOpenContents(type: AsnType, value: AsnValue, path: string): Uint8Array {
  const inner = new BitWriter();
  encodeInto(inner, type, value, path);
  const bytes = inner.toBytes();
  return bytes.length === 0 ? new Uint8Array(1) : bytes;
}

function encodeInteger(w: BitWriter, range: { lb: number; ub?: number; extensible?: boolean } | undefined, v: number): void {
  if (!range) return writeUnconstrained(w, v);
  if (range.ub === undefined) {
    if (range.extensible) w.writeBit(v < range.lb);
    if (v < range.lb) {
      if (!range.extensible) throw new PerEncodeError(`integer ${v} below ${range.lb}`);
      return writeUnconstrained(w, v);
    }
    return writeSemiConstrained(w, v, range.lb);
  }
  const inRoot = v >= range.lb && v <= range.ub;
  if (range.extensible) {
    w.writeBit(!inRoot);
    if (!inRoot) return writeUnconstrained(w, v);
  }
  writeConstrained(w, v, range.lb, range.ub);
}

function encodeEnumerated(w: BitWriter, root: readonly string[], additions: readonly string[] | undefined, v: string, path: string): void {
  const i = root.indexOf(v);
  if (i >= 0) {
    if (additions) w.writeBit(0);
    return writeConstrained(w, i, 0, root.length - 1);
  }
  const j = additions ? additions.indexOf(v) : -1;
  const unknown = /^\$ext(\d+)$/.exec(v);
  if (!additions || (j < 0 && !unknown)) throw new PerEncodeError(`${path}: '${v}' is not an item of the ENUMERATED`);
  w.writeBit(1);
  writeNormallySmall(w, j >= 0 ? j : Number(unknown![1]));
}

/**
 * BIT STRING / OCTET STRING bodies (X.691 16, 17): `unit` is bits per item. Fixed sizes up to
 * two octets are neither length-prefixed nor aligned; other fixed sizes are aligned; the rest
 * carry a length determinant (constrained when the bound is below 64K).
 */
function encodeSized(w: BitWriter, n: number, size: Bounds | undefined, unit: number, items: (from: number, count: number) => void): void {
  const inRoot = !size || (n >= size.lb && (size.ub === undefined || n <= size.ub));
  if (size?.extensible) w.writeBit(!inRoot);
  else if (!inRoot) throw new PerEncodeError(`size ${n} outside SIZE(${size?.lb}..${size?.ub})`);
  const eff = inRoot ? size : undefined;
  if (eff && eff.lb === eff.ub) {
    if (eff.ub === 0) return;
    if (eff.ub * unit <= 16) {
      items(0, n);
      return;
    }
    if (eff.ub < K64) {
      w.align();
      items(0, n);
      return;
    }
  }
  writeLengthAndItems(w, n, eff?.lb ?? 0, eff?.ub, (from, count) => {
    w.align();
    items(from, count);
  });
}

function encodeCharString(w: BitWriter, t: CharStringType, s: string, path: string): void {
  if (t.stringType === 'GeneralString') {
    const bytes = Uint8Array.from([...s].map((c) => c.charCodeAt(0) & 0xff));
    return encodeSized(w, bytes.length, t.size, 8, (from, count) => w.writeBytes(bytes.subarray(from, from + count)));
  }
  const coding = charCoding(t);
  const codes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (coding.permitted && !coding.permitted.has(c)) throw new PerEncodeError(`${path}: character ${JSON.stringify(s[i])} not permitted in ${t.stringType}`);
    codes.push(coding.indexed ? coding.indexed.indexOf(c) : c);
  }
  const writeChars = (from: number, count: number): void => {
    for (let i = from; i < from + count; i++) w.writeBits(codes[i]!, coding.bits);
  };
  const size = t.size;
  const n = codes.length;
  const inRoot = !size || (n >= size.lb && (size.ub === undefined || n <= size.ub));
  if (size?.extensible) w.writeBit(!inRoot);
  else if (!inRoot) throw new PerEncodeError(`${path}: length ${n} outside SIZE(${size?.lb}..${size?.ub})`);
  const eff = inRoot ? size : undefined;
  if (eff && eff.lb === eff.ub && eff.ub < K64) {
    if (eff.ub * coding.bits > 16) w.align();
    return writeChars(0, n);
  }
  writeLengthAndItems(w, n, eff?.lb ?? 0, eff?.ub, (from, count) => {
    w.align();
    writeChars(from, count);
  });
}

function encodeSequence(w: BitWriter, t: SequenceType, value: AsnValue, path: string): void {
  const v = asSequence(value, path);
  const present = (name: string): boolean => v[name] !== undefined;
  const unknown = v[UNKNOWN_EXTENSIONS] ?? [];
  const additions = t.additions ?? [];
  // The bitmap must reach the last present addition, known or unknown.
  const needed = Math.max(0, ...additions.map((c, i) => (present(c.name) ? i + 1 : 0)), ...unknown.map((u) => u.index + 1));
  const hasExt = needed > 0;
  if (t.additions) w.writeBit(hasExt);
  else if (hasExt) throw new PerEncodeError(`${path}: extension values for a non-extensible SEQUENCE`);
  // Preamble: one bit per OPTIONAL/DEFAULT root component.
  const sends = t.root.map((c) => present(c.name) && !(c.defaultValue !== undefined && valuesEqual(v[c.name], c.defaultValue)));
  t.root.forEach((c, i) => {
    if (c.optional || c.defaultValue !== undefined) w.writeBit(sends[i]!);
    else if (!sends[i]) throw new PerEncodeError(`${path}.${c.name}: mandatory component missing`);
  });
  t.root.forEach((c, i) => {
    if (sends[i]) encodeInto(w, c.type, v[c.name]!, `${path}.${c.name}`);
  });
  if (!hasExt) return;
  // Any length reaching `needed` is valid PER: a decoded value keeps its sender's (older senders
  // know fewer additions); otherwise span every known addition, as Erlang does.
  const received = v[EXTENSION_BITMAP_LENGTH];
  const n = received !== undefined && received >= needed ? received : Math.max(additions.length, needed);
  writeNormallySmallLength(w, n);
  const bytesAt: (Uint8Array | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const c = additions[i];
    const raw = c ? undefined : unknown.find((u) => u.index === i)?.encoding;
    bytesAt.push(c && present(c.name) ? encodeOpenContents(c.type, v[c.name]!, `${path}.${c.name}`) : raw);
    w.writeBit(bytesAt[i] !== undefined);
  }
  for (const b of bytesAt) if (b) writeOctetsWithLength(w, b);
}

function encodeChoice(w: BitWriter, t: ChoiceType, value: AsnValue, path: string): void {
  const v = asChoice(value, path);
  const i = t.root.findIndex((a) => a.name === v.choice);
  if (i >= 0) {
    if (t.additions) w.writeBit(0);
    writeConstrained(w, i, 0, t.root.length - 1);
    return encodeInto(w, t.root[i]!.type, v.value, `${path}.${v.choice}`);
  }
  if (!t.additions) throw new PerEncodeError(`${path}: '${v.choice}' is not an alternative`);
  const j = t.additions.findIndex((a) => a.name === v.choice);
  if (j >= 0) {
    w.writeBit(1);
    writeNormallySmall(w, j);
    return writeOpen(w, t.additions[j]!.type, v.value, `${path}.${v.choice}`);
  }
  const unknown = /^\$ext(\d+)$/.exec(v.choice);
  if (!unknown) throw new PerEncodeError(`${path}: '${v.choice}' is not an alternative`);
  w.writeBit(1);
  writeNormallySmall(w, Number(unknown[1]));
  writeOctetsWithLength(w, asBytes(v.value, path));
}
