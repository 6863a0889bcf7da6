/**
 * Emits a TypeScript descriptor module (../types model) from a parsed ASN.1 module.
 * Named types become `export const` descriptors referenced lazily (`$.ref(name, () => X)`)
 * so recursive types and any declaration order work; parameterised types (SIGNED{},
 * ENCRYPTED{}, HASHED{}) are expanded in place at each use.
 */
import type { AstAssignment, AstBounds, AstModule, AstType } from './ast';
import { applyConstraint } from './parser';

export interface EmitTarget {
  readonly module: AstModule;
  /** File stem of the emitted module, e.g. 'h225'. */
  readonly stem: string;
}

export const tsName = (asn: string): string => asn.replace(/-/g, '_');

export function emitModule(target: EmitTarget, all: readonly EmitTarget[], header: string): string {
  const { module } = target;
  const usedImports = new Set<string>();
  const templates = (mod: AstModule): Map<string, AstAssignment> => new Map(mod.assignments.filter((a) => a.params).map((a) => [a.name, a]));
  const byName = (modName: string): EmitTarget => {
    const t = all.find((x) => x.module.name === modName);
    if (!t) throw new Error(`module ${modName} (imported by ${module.name}) was not given to the generator`);
    return t;
  };
  const localNames = new Set(module.assignments.filter((a) => !a.params).map((a) => a.name));

  const bounds = (b: AstBounds): string =>
    `$.size(${b.lb}${b.ub !== undefined || b.extensible ? `, ${b.ub ?? 'undefined'}` : ''}${b.extensible ? ', true' : ''})`;

  const expr = (t: AstType, ind: string, subst: ReadonlyMap<string, AstType>): string => {
    const inner = `${ind}  `;
    switch (t.t) {
      case 'boolean':
        return '$.bool()';
      case 'null':
        return '$.nul()';
      case 'oid':
        return '$.oid()';
      case 'integer':
        if (!t.range) return '$.int()';
        return `$.int(${t.range.lb}${t.range.ub !== undefined || t.range.extensible ? `, ${t.range.ub ?? 'undefined'}` : ''}${t.range.extensible ? ', true' : ''})`;
      case 'enumerated':
        return `$.enumerated(${JSON.stringify(t.root)}${t.additions ? `, ${JSON.stringify(t.additions)}` : ''})`;
      case 'bitstring':
        return t.size ? `$.bits(${bounds(t.size)})` : '$.bits()';
      case 'octetstring':
        return t.size ? `$.octets(${bounds(t.size)})` : '$.octets()';
      case 'string': {
        const args = [JSON.stringify(t.kind)];
        if (t.size || t.alphabet !== undefined) args.push(t.size ? bounds(t.size) : 'undefined');
        if (t.alphabet !== undefined) args.push(JSON.stringify(t.alphabet));
        return `$.str(${args.join(', ')})`;
      }
      case 'sequenceof':
        return `$.seqOf(${expr(t.of, ind, subst)}${t.size ? `, ${bounds(t.size)}` : ''})`;
      case 'sequence': {
        const comp = (c: { name: string; type: AstType; optional: boolean }): string =>
          `${inner}$.${c.optional ? 'opt' : 'f'}(${JSON.stringify(c.name)}, ${expr(c.type, inner, subst)}),\n`;
        const root = t.root.length ? `[\n${t.root.map(comp).join('')}${ind}]` : '[]';
        if (!t.additions) return `$.seq(${root})`;
        const adds = t.additions.length ? `[\n${t.additions.map(comp).join('')}${ind}]` : '[]';
        return `$.seq(${root}, ${adds})`;
      }
      case 'choice': {
        const alt = (a: { name: string; type: AstType }): string => `${inner}$.alt(${JSON.stringify(a.name)}, ${expr(a.type, inner, subst)}),\n`;
        const root = `[\n${t.root.map(alt).join('')}${ind}]`;
        if (!t.additions) return `$.choice(${root})`;
        const adds = t.additions.length ? `[\n${t.additions.map(alt).join('')}${ind}]` : '[]';
        return `$.choice(${root}, ${adds})`;
      }
      case 'open':
        if (!t.of) throw new Error('TYPE-IDENTIFIER.&Type without a contained type is not supported');
        return `$.open(${expr(t.of, ind, subst)})`;
      case 'ref': {
        const bound = subst.get(t.name);
        if (bound) return expr(bound, ind, new Map());
        if (t.constraint) {
          // A PER-visible constraint on a named type: emit the constrained definition inline.
          const def = module.assignments.find((a) => a.name === t.name && !a.params);
          if (!def) throw new Error(`${module.name}: constraint on ${t.name}, which is not a local type`);
          return expr(applyConstraint(def.type, t.constraint), ind, subst);
        }
        if (t.args) {
          const fromMod = module.imports.get(t.name);
          const tmpl = templates(fromMod ? byName(fromMod).module : module).get(t.name);
          if (!tmpl?.params || tmpl.params.length !== t.args.length) throw new Error(`unknown parameterised type ${t.name}`);
          // Arguments are emitted in the caller's scope (they may name local types).
          const args = new Map(tmpl.params.map((p, k) => [p, t.args![k]!]));
          const tmplMod = fromMod ? byName(fromMod) : target;
          if (tmplMod !== target) {
            // Expand the imported template's body: names inside it belong to its module.
            return expandForeign(tmpl.type, tmplMod, args, ind);
          }
          return expr(tmpl.type, ind, args);
        }
        const q = /^([a-z0-9]+)::(.+)$/.exec(t.name);
        if (q) {
          if (q[1] === target.stem) return `$.ref(${JSON.stringify(q[2])}, () => ${tsName(q[2]!)})`;
          usedImports.add(q[1]!);
          return `$.ref(${JSON.stringify(q[2])}, () => ${q[1]}.${tsName(q[2]!)})`;
        }
        if (localNames.has(t.name)) return `$.ref(${JSON.stringify(t.name)}, () => ${tsName(t.name)})`;
        const fromMod = module.imports.get(t.name);
        if (!fromMod) throw new Error(`${module.name}: undefined type ${t.name}`);
        const stem = byName(fromMod).stem;
        usedImports.add(stem);
        return `$.ref(${JSON.stringify(t.name)}, () => ${stem}.${tsName(t.name)})`;
      }
    }
  };

  /** Expands a template from another module: its own names are qualified with that module. */
  const expandForeign = (body: AstType, owner: EmitTarget, args: ReadonlyMap<string, AstType>, ind: string): string => {
    const qualify = (t: AstType): AstType => {
      switch (t.t) {
        case 'ref': {
          const bound = args.get(t.name);
          if (bound) return bound;
          return { t: 'ref', name: `${owner.stem}::${t.name}` };
        }
        case 'sequence':
          return {
            ...t,
            root: t.root.map((c) => ({ ...c, type: qualify(c.type) })),
            ...(t.additions ? { additions: t.additions.map((c) => ({ ...c, type: qualify(c.type) })) } : {}),
          };
        case 'choice':
          return {
            ...t,
            root: t.root.map((a) => ({ ...a, type: qualify(a.type) })),
            ...(t.additions ? { additions: t.additions.map((a) => ({ ...a, type: qualify(a.type) })) } : {}),
          };
        case 'sequenceof':
          return { ...t, of: qualify(t.of) };
        case 'open':
          return t.of ? { t: 'open', of: qualify(t.of) } : t;
        default:
          return t;
      }
    };
    return expr(qualify(body), ind, new Map());
  };

  const body: string[] = [];
  for (const a of module.assignments) {
    if (a.params) continue;
    body.push(`/** ${a.name} (line ${a.line} of the module) */\nexport const ${tsName(a.name)}: AsnType = ${expr(a.type, '', new Map())};\n`);
  }
  const registry = module.assignments
    .filter((a) => !a.params)
    .map((a) => `  ${JSON.stringify(a.name)}: ${tsName(a.name)},\n`)
    .join('');
  const imports = [...usedImports]
    .sort()
    .map((s) => `import * as ${s} from './${s}';\n`)
    .join('');
  return `${header}\n/* eslint-disable */\nimport { T as $, type AsnType } from '../types';\n${imports}\n${body.join('\n')}\n/** Every type of ${module.name}, by its ASN.1 name. */\nexport const types: Readonly<Record<string, AsnType>> = {\n${registry}};\n`;
}
