/** Syntax tree of the ASN.1 subset the generator understands (PER-visible parts only). */
export interface AstBounds {
  lb: number;
  ub?: number;
  extensible?: boolean;
}

/** The PER-visible part of a constraint: value range, size, permitted alphabet, contained type. */
export interface AstConstraint {
  range?: AstBounds;
  size?: AstBounds;
  alphabet?: string;
  /** `TYPE-IDENTIFIER.&Type(X)`: the type of the open type's contents. */
  containedType?: AstType;
}

export type StringKind = 'IA5String' | 'NumericString' | 'PrintableString' | 'VisibleString' | 'BMPString' | 'GeneralString';

export interface AstComponent {
  name: string;
  type: AstType;
  optional: boolean;
}
export interface AstAlternative {
  name: string;
  type: AstType;
}

export type AstType =
  | { t: 'boolean' }
  | { t: 'null' }
  | { t: 'oid' }
  | { t: 'integer'; range?: AstBounds }
  | { t: 'enumerated'; root: string[]; additions?: string[] }
  | { t: 'bitstring'; size?: AstBounds }
  | { t: 'octetstring'; size?: AstBounds }
  | { t: 'string'; kind: StringKind; size?: AstBounds; alphabet?: string }
  | { t: 'sequence'; root: AstComponent[]; additions?: AstComponent[] }
  | { t: 'sequenceof'; of: AstType; size?: AstBounds }
  | { t: 'choice'; root: AstAlternative[]; additions?: AstAlternative[] }
  | { t: 'open'; of?: AstType }
  | { t: 'ref'; name: string; args?: AstType[]; constraint?: AstConstraint };

export interface AstAssignment {
  name: string;
  params?: string[];
  type: AstType;
  line: number;
}

export interface AstModule {
  name: string;
  /** Imported symbol → module it comes from. */
  imports: Map<string, string>;
  assignments: AstAssignment[];
}
