/**
 * Type-descriptor model for the aligned PER codec (src/h323/per) and the values it produces.
 *
 * Descriptors hold only what PER needs (PER-visible constraints, extensibility, component
 * order); tags are irrelevant in PER. The generated H.225/H.245/H.235 descriptors
 * (src/h323/asn1/generated) are written in this model, and hand-written ones can be too.
 */

/** Size (or value-range) bounds; `ub` undefined means no upper bound (MAX). */
export interface Bounds {
  readonly lb: number;
  readonly ub?: number;
  /** `(SIZE(a..b, ...))`: values outside the root are allowed and use the extension bit. */
  readonly extensible?: boolean;
}

export interface BooleanType {
  readonly kind: 'boolean';
}
export interface NullType {
  readonly kind: 'null';
}
export interface IntegerType {
  readonly kind: 'integer';
  /** Absent: unconstrained. `lb` only: semi-constrained. Both: constrained. */
  readonly range?: { readonly lb: number; readonly ub?: number; readonly extensible?: boolean };
}
export interface EnumeratedType {
  readonly kind: 'enumerated';
  /** Root items in ascending order of their values (PER encodes the index). */
  readonly root: readonly string[];
  /** Present (possibly empty) when the type has an extension marker. */
  readonly additions?: readonly string[];
}
export interface BitStringType {
  readonly kind: 'bitstring';
  readonly size?: Bounds;
}
export interface OctetStringType {
  readonly kind: 'octetstring';
  readonly size?: Bounds;
}

/** Known-multiplier character strings (X.691 clause 30), plus GeneralString (octets). */
export type CharStringKind = 'IA5String' | 'NumericString' | 'PrintableString' | 'VisibleString' | 'BMPString' | 'GeneralString';
export interface CharStringType {
  readonly kind: 'charstring';
  readonly stringType: CharStringKind;
  readonly size?: Bounds;
  /** Permitted alphabet (FROM constraint), as the set of characters. */
  readonly alphabet?: string;
}
export interface ObjectIdentifierType {
  readonly kind: 'oid';
}

export interface Component {
  readonly name: string;
  readonly type: AsnType;
  readonly optional?: boolean;
  /** DEFAULT value: omitted on encode when equal, filled in on decode. */
  readonly defaultValue?: AsnValue;
}
export interface SequenceType {
  readonly kind: 'sequence';
  readonly root: readonly Component[];
  /** Present (possibly empty) when the type has an extension marker. */
  readonly additions?: readonly Component[];
}
export interface SequenceOfType {
  readonly kind: 'sequenceof';
  readonly of: AsnType;
  readonly size?: Bounds;
}
export interface Alternative {
  readonly name: string;
  readonly type: AsnType;
}
export interface ChoiceType {
  readonly kind: 'choice';
  readonly root: readonly Alternative[];
  readonly additions?: readonly Alternative[];
}
/** TYPE-IDENTIFIER.&Type(X): an open type whose contents are known to be of type X. */
export interface OpenType {
  readonly kind: 'open';
  readonly of: AsnType;
}
/** A reference to a named type, resolved lazily so that recursive definitions work. */
export interface TypeRef {
  readonly kind: 'ref';
  readonly name: string;
  readonly resolve: () => AsnType;
}

export type AsnType =
  | BooleanType
  | NullType
  | IntegerType
  | EnumeratedType
  | BitStringType
  | OctetStringType
  | CharStringType
  | ObjectIdentifierType
  | SequenceType
  | SequenceOfType
  | ChoiceType
  | OpenType
  | TypeRef;

/** A BIT STRING value: `length` bits, most significant bit of data[0] first. */
export class BitString {
  constructor(
    readonly data: Uint8Array,
    readonly length: number,
  ) {}
  static fromBits(bits: readonly (0 | 1)[]): BitString {
    const data = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((b, i) => {
      if (b) data[i >> 3]! |= 0x80 >> (i & 7);
    });
    return new BitString(data, bits.length);
  }
  bit(i: number): 0 | 1 {
    return ((this.data[i >> 3]! >> (7 - (i & 7))) & 1) as 0 | 1;
  }
}

/** Key under which a decoded SEQUENCE keeps the extension additions this version does not know. */
export const UNKNOWN_EXTENSIONS: unique symbol = Symbol('asn1.unknownExtensions');
export interface UnknownExtension {
  /** Position in the extension-addition bitmap (0-based). */
  readonly index: number;
  /** The open-type contents, exactly as received. */
  readonly encoding: Uint8Array;
}

/**
 * Key under which a decoded SEQUENCE records the length of the extension-addition bitmap it was
 * received with (an older sender's bitmap covers only the additions it knew). Non-enumerable, so
 * `{ ...value }` and deep-equality checks ignore it: a copy encodes like a value built by code.
 */
export const EXTENSION_BITMAP_LENGTH: unique symbol = Symbol('asn1.extensionBitmapLength');

export interface SequenceValue {
  [component: string]: AsnValue | undefined;
  [UNKNOWN_EXTENSIONS]?: readonly UnknownExtension[];
  readonly [EXTENSION_BITMAP_LENGTH]?: number;
}
/**
 * A CHOICE value. An alternative added after this version is named `$ext<index>` and its
 * value is the raw open-type contents (Uint8Array), re-emitted untouched.
 */
export interface ChoiceValue {
  readonly choice: string;
  readonly value: AsnValue;
}

/**
 * Values: BOOLEAN boolean; NULL null; INTEGER number (safe-integer range); ENUMERATED string
 * (an unknown extension item is `$ext<index>`); BIT STRING BitString; OCTET STRING Uint8Array;
 * character strings string; OBJECT IDENTIFIER dotted string "0.0.8.2250.0.7"; SEQUENCE
 * SequenceValue; SEQUENCE OF array; CHOICE ChoiceValue; open type: the value of its contents.
 */
export type AsnValue = boolean | number | string | null | Uint8Array | BitString | readonly AsnValue[] | SequenceValue | ChoiceValue;

/** Follows references until a concrete descriptor is reached. */
export function resolveType(t: AsnType): Exclude<AsnType, TypeRef> {
  let cur: AsnType = t;
  for (let i = 0; cur.kind === 'ref'; i++) {
    if (i > 100) throw new Error(`reference loop at ${cur.name}`);
    cur = cur.resolve();
  }
  return cur;
}

/** Descriptor builders, shared by the generated modules and hand-written descriptors. */
export const T = {
  bool: (): BooleanType => ({ kind: 'boolean' }),
  nul: (): NullType => ({ kind: 'null' }),
  int: (lb?: number, ub?: number, extensible?: boolean): IntegerType =>
    lb === undefined ? { kind: 'integer' } : { kind: 'integer', range: { lb, ...(ub === undefined ? {} : { ub }), ...(extensible ? { extensible } : {}) } },
  enumerated: (root: readonly string[], additions?: readonly string[]): EnumeratedType =>
    additions ? { kind: 'enumerated', root, additions } : { kind: 'enumerated', root },
  bits: (size?: Bounds): BitStringType => (size ? { kind: 'bitstring', size } : { kind: 'bitstring' }),
  octets: (size?: Bounds): OctetStringType => (size ? { kind: 'octetstring', size } : { kind: 'octetstring' }),
  str: (stringType: CharStringKind, size?: Bounds, alphabet?: string): CharStringType => ({
    kind: 'charstring',
    stringType,
    ...(size ? { size } : {}),
    ...(alphabet !== undefined ? { alphabet } : {}),
  }),
  oid: (): ObjectIdentifierType => ({ kind: 'oid' }),
  seq: (root: readonly Component[], additions?: readonly Component[]): SequenceType =>
    additions ? { kind: 'sequence', root, additions } : { kind: 'sequence', root },
  seqOf: (of: AsnType, size?: Bounds): SequenceOfType => (size ? { kind: 'sequenceof', of, size } : { kind: 'sequenceof', of }),
  choice: (root: readonly Alternative[], additions?: readonly Alternative[]): ChoiceType =>
    additions ? { kind: 'choice', root, additions } : { kind: 'choice', root },
  open: (of: AsnType): OpenType => ({ kind: 'open', of }),
  ref: (name: string, resolve: () => AsnType): TypeRef => ({ kind: 'ref', name, resolve }),
  /** Component helpers: `f` mandatory, `opt` OPTIONAL. */
  f: (name: string, type: AsnType): Component => ({ name, type }),
  opt: (name: string, type: AsnType): Component => ({ name, type, optional: true }),
  alt: (name: string, type: AsnType): Alternative => ({ name, type }),
  size: (lb: number, ub?: number, extensible?: boolean): Bounds => ({ lb, ...(ub === undefined ? {} : { ub }), ...(extensible ? { extensible } : {}) }),
};
