/**
 * Recursive-descent parser for the ASN.1 used by H.225.0 v7, H.245 v15 and H.235.0: type
 * assignments (also parameterised, e.g. SIGNED{ToBeSigned}), SEQUENCE/SET, SEQUENCE/SET OF,
 * CHOICE, ENUMERATED, extension markers, PER-visible constraints (value range, SIZE, FROM,
 * intersections with ^, extensible "..."), TYPE-IDENTIFIER.&Type(X) open types, IMPORTS.
 * PER-invisible constraints (WITH COMPONENTS, CONSTRAINED BY) are parsed and dropped.
 * Anything outside that subset (value assignments, classes, [[ ]] groups) is an error, so a
 * new module version cannot be mis-generated silently.
 */
import type { AstAlternative, AstAssignment, AstBounds, AstComponent, AstConstraint, AstModule, AstType, StringKind } from './ast';
import { tokenize, type Token } from './lexer';

const STRING_KINDS: readonly StringKind[] = ['IA5String', 'NumericString', 'PrintableString', 'VisibleString', 'BMPString', 'GeneralString'];

export function parseModule(src: string): AstModule {
  return new Parser(tokenize(src)).module();
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  private is(text: string, k = 0): boolean {
    return this.peek(k)?.text === text;
  }
  private fail(msg: string): never {
    const t = this.peek();
    throw new Error(`ASN.1 parse error at line ${t?.line ?? 'EOF'} near ${JSON.stringify(t?.text)}: ${msg}`);
  }
  private next(): Token {
    const t = this.toks[this.i++];
    if (!t) this.fail('unexpected end of input');
    return t;
  }
  private expect(text: string): void {
    if (!this.is(text)) this.fail(`expected ${text}`);
    this.i++;
  }
  private accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }
  private word(): string {
    const t = this.next();
    if (t.kind !== 'word') this.fail(`expected a name, got ${t.text}`);
    return t.text;
  }
  /** Skips a balanced { ... } group. */
  private skipBraces(): void {
    this.expect('{');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.text === '{') depth++;
      else if (t.text === '}') depth--;
    }
  }

  module(): AstModule {
    const name = this.word();
    if (this.is('{')) this.skipBraces();
    this.expect('DEFINITIONS');
    while (!this.is('::=')) this.next();
    this.expect('::=');
    this.expect('BEGIN');
    const imports = new Map<string, string>();
    if (this.accept('EXPORTS')) while (!this.accept(';')) this.next();
    if (this.accept('IMPORTS')) this.imports(imports);
    const assignments: AstAssignment[] = [];
    while (!this.is('END')) assignments.push(this.assignment());
    return { name, imports, assignments };
  }

  private imports(into: Map<string, string>): void {
    let pending: string[] = [];
    while (!this.accept(';')) {
      if (this.accept('FROM')) {
        const mod = this.word();
        for (const s of pending) into.set(s, mod);
        pending = [];
        if (this.is('{')) this.skipBraces();
        continue;
      }
      const sym = this.word();
      if (this.is('{')) {
        this.expect('{');
        this.expect('}');
      }
      pending.push(sym);
      this.accept(',');
    }
  }

  private assignment(): AstAssignment {
    const line = this.peek()?.line ?? 0;
    const name = this.word();
    let params: string[] | undefined;
    if (this.accept('{')) {
      params = [];
      do params.push(this.word());
      while (this.accept(','));
      this.expect('}');
    }
    if (!this.is('::=')) this.fail('only type assignments are supported');
    this.expect('::=');
    const type = this.type();
    return params ? { name, params, type, line } : { name, type, line };
  }

  type(): AstType {
    let t = this.baseType();
    while (this.is('(')) t = applyConstraint(t, this.constraint());
    return t;
  }

  private baseType(): AstType {
    const w = this.word();
    switch (w) {
      case 'BOOLEAN':
        return { t: 'boolean' };
      case 'NULL':
        return { t: 'null' };
      case 'INTEGER':
        if (this.is('{')) this.skipBraces(); // named numbers: PER-invisible
        return { t: 'integer' };
      case 'ENUMERATED':
        return this.enumerated();
      case 'BIT':
        this.expect('STRING');
        if (this.is('{')) this.skipBraces(); // named bits (none with trailing-zero rules here)
        return { t: 'bitstring' };
      case 'OCTET':
        this.expect('STRING');
        return { t: 'octetstring' };
      case 'OBJECT':
        this.expect('IDENTIFIER');
        return { t: 'oid' };
      case 'SEQUENCE':
      case 'SET':
        return this.sequenceOrOf();
      case 'CHOICE':
        return this.choice();
      case 'TYPE-IDENTIFIER':
        this.expect('.');
        this.expect('&');
        this.expect('Type');
        return { t: 'open' };
    }
    if ((STRING_KINDS as readonly string[]).includes(w)) return { t: 'string', kind: w as StringKind };
    if (/^[A-Z]+$/.test(w) && ['REAL', 'EXTERNAL', 'ANY', 'UTCTime', 'GeneralizedTime'].includes(w)) this.fail(`unsupported type ${w}`);
    if (!/^[A-Z]/.test(w)) this.fail(`expected a type, got ${w}`);
    if (this.is('{')) {
      this.expect('{');
      const args: AstType[] = [];
      do args.push(this.type());
      while (this.accept(','));
      this.expect('}');
      return { t: 'ref', name: w, args };
    }
    return { t: 'ref', name: w };
  }

  private enumerated(): AstType {
    this.expect('{');
    const items: { name: string; value?: number }[] = [];
    const additions: string[] = [];
    let ext = false;
    for (;;) {
      if (this.accept('...')) ext = true;
      else {
        const name = this.word();
        let value: number | undefined;
        if (this.accept('(')) {
          value = Number(this.next().text);
          this.expect(')');
        }
        if (ext) additions.push(name);
        else items.push(value === undefined ? { name } : { name, value });
      }
      if (this.accept('}')) break;
      this.expect(',');
    }
    // X.691 13: root items are indexed in ascending order of their values; items without a
    // number take the smallest free value (X.680 20.3) — enough for these modules.
    const used = new Set(items.filter((x) => x.value !== undefined).map((x) => x.value!));
    let free = 0;
    const valued = items.map((x) => {
      if (x.value !== undefined) return { name: x.name, value: x.value };
      while (used.has(free)) free++;
      used.add(free);
      return { name: x.name, value: free };
    });
    const root = valued.sort((a, b) => a.value - b.value).map((x) => x.name);
    return ext ? { t: 'enumerated', root, additions } : { t: 'enumerated', root };
  }

  private sequenceOrOf(): AstType {
    let size: AstBounds | undefined;
    if (this.is('SIZE')) size = this.constraintBody().size;
    else if (this.is('(')) size = this.constraint().size;
    if (this.accept('OF')) {
      if (this.peek()?.kind === 'word' && /^[a-z]/.test(this.peek()!.text) && this.peek(1)?.kind === 'word') this.next(); // "OF name Type"
      const of = this.type();
      return size ? { t: 'sequenceof', of, size } : { t: 'sequenceof', of };
    }
    if (size) this.fail('SIZE without OF');
    this.expect('{');
    const root: AstComponent[] = [];
    const additions: AstComponent[] = [];
    let markers = 0;
    if (!this.accept('}')) {
      for (;;) {
        if (this.accept('...')) markers++;
        else if (this.is('[[')) this.fail('extension addition groups [[ ]] are not supported');
        else {
          const name = this.word();
          const type = this.type();
          let optional = false;
          if (this.accept('OPTIONAL')) optional = true;
          else if (this.is('DEFAULT')) this.fail('DEFAULT values are not supported by the generator');
          (markers === 1 ? additions : root).push({ name, type, optional });
        }
        if (this.accept('}')) break;
        this.expect(',');
      }
    }
    return markers ? { t: 'sequence', root, additions } : { t: 'sequence', root };
  }

  private choice(): AstType {
    this.expect('{');
    const root: AstAlternative[] = [];
    const additions: AstAlternative[] = [];
    let markers = 0;
    for (;;) {
      if (this.accept('...')) markers++;
      else {
        const name = this.word();
        (markers === 1 ? additions : root).push({ name, type: this.type() });
      }
      if (this.accept('}')) break;
      this.expect(',');
    }
    return markers ? { t: 'choice', root, additions } : { t: 'choice', root };
  }

  /** `( spec [, ...] )` → the PER-visible summary. */
  private constraint(): AstConstraint {
    this.expect('(');
    const c = this.constraintBody();
    if (this.accept(',')) {
      this.expect('...');
      if (c.range) c.range.extensible = true;
      if (c.size && !c.range) c.size.extensible = true;
    }
    this.expect(')');
    return c;
  }

  /** Intersections of elements: `a ^ b`. */
  private constraintBody(): AstConstraint {
    const c = this.constraintElement();
    while (this.accept('^')) Object.assign(c, this.constraintElement());
    return c;
  }

  private constraintElement(): AstConstraint {
    if (this.accept('SIZE')) {
      const inner = this.constraint();
      const size = inner.range ?? this.fail('SIZE without a range');
      return { size };
    }
    if (this.accept('FROM')) {
      this.expect('(');
      let alphabet = '';
      do {
        const s = this.next();
        if (s.kind !== 'string') this.fail('only string literals are supported in FROM');
        if (this.accept('..')) {
          const e = this.next().text;
          for (let k = s.text.charCodeAt(0); k <= e.charCodeAt(0); k++) alphabet += String.fromCharCode(k);
        } else alphabet += s.text;
      } while (this.accept('|'));
      this.expect(')');
      return { alphabet };
    }
    if (this.accept('WITH')) {
      if (!this.accept('COMPONENTS')) this.expect('COMPONENT');
      this.skipBraces();
      return {};
    }
    if (this.accept('CONSTRAINED')) {
      this.expect('BY');
      this.skipBraces();
      return {};
    }
    if (this.is('(')) return this.constraint();
    const t = this.peek();
    if (t?.kind === 'number' || t?.text === 'MIN') {
      const lb = this.bound();
      if (!this.accept('..')) return { range: { lb, ub: lb } };
      let ub: number | undefined;
      if (this.is('MAX')) this.next();
      else ub = this.bound();
      return { range: ub === undefined ? { lb } : { lb, ub } };
    }
    if (t?.kind === 'word' && /^[A-Z]/.test(t.text)) return { containedType: this.type() };
    this.fail('unsupported constraint');
  }

  private bound(): number {
    const t = this.next();
    if (t.text === 'MIN') this.fail('MIN lower bounds are not supported');
    if (t.kind !== 'number') this.fail('expected a number');
    return Number(t.text);
  }
}

/** Applies a PER-visible constraint to a type (serial constraints intersect). */
export function applyConstraint(t: AstType, c: AstConstraint): AstType {
  switch (t.t) {
    case 'integer':
      return c.range ? { ...t, range: c.range } : t;
    case 'bitstring':
    case 'octetstring':
    case 'sequenceof':
      return c.size ? { ...t, size: c.size } : t;
    case 'string':
      return { ...t, ...(c.size ? { size: c.size } : {}), ...(c.alphabet !== undefined ? { alphabet: c.alphabet } : {}) };
    case 'open':
      return c.containedType ? { t: 'open', of: c.containedType } : t;
    case 'ref':
      // Kept on the reference; the emitter applies it to the referenced type's definition.
      if (c.range || c.size || c.alphabet !== undefined) return { ...t, constraint: { ...t.constraint, ...c } };
      return t;
    default:
      return t;
  }
}
