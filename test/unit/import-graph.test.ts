import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The source tree's import graph, value and type imports alike: no module may reach itself again.
 * A circle means a type lives away from the module that owns its concept.
 */

const SRC = resolve(__dirname, '../../../src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** An import (type or value, static or dynamic) or require of one package. */
const PACKAGE_IMPORT = (name: string): RegExp =>
  new RegExp(`(?:\\sfrom\\s+|\\bimport\\(\\s*|\\brequire\\(\\s*|^\\s*import\\s+)['"]${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/[^'"]*)?['"]`, 'm');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolveImport(file, (m[1] ?? m[2])!);
      if (target) deps.add(target);
    }
    graph.set(file, [...deps]);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('source layout: the import graph', () => {
  const graph = importGraph(sourceFiles(SRC));

  it('reads the whole tree', () => {
    assert.ok(graph.size > 100, `only ${graph.size} modules under ${SRC}`);
    const call = graph.get(join(SRC, 'calls', 'call.ts'));
    assert.ok(call?.length, 'imports of src/calls/call.ts were not found');
  });

  it('has no import circles, type imports included', () => {
    const named = circles(graph).map((c) =>
      c
        .map((f) => relative(SRC, f))
        .sort()
        .join(' → '),
    );
    assert.deepEqual(named, []);
  });

  it('leaves drachtio-fsmrf to src/media/freeswitch: src/calls speaks to media through its interfaces', () => {
    const importers = [...graph.keys()].filter((f) => PACKAGE_IMPORT('drachtio-fsmrf').test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
    const fsmrf = PACKAGE_IMPORT('drachtio-fsmrf');
    for (const line of [`import type Mrf from 'drachtio-fsmrf';`, `const { x } = require("drachtio-fsmrf/lib/utils")`, `await import('drachtio-fsmrf')`])
      assert.ok(fsmrf.test(line), line);
    assert.ok(!fsmrf.test(`// drachtio-fsmrf joins arguments with spaces`));
    assert.ok(importers.length, 'the adapter imports drachtio-fsmrf: the check reads imports');
    assert.deepEqual(
      importers.filter((f) => f.startsWith(`calls${sep}`)),
      [],
      'src/calls imports drachtio-fsmrf',
    );
    assert.deepEqual(
      importers.filter((f) => !f.startsWith(join('media', 'freeswitch') + sep)),
      [],
      'only src/media/freeswitch imports drachtio-fsmrf',
    );
  });

  it('finds a circle when there is one', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    assert.equal(
      circles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ).length,
      1,
    );
    assert.equal(
      circles(
        new Map([
          [a, [b]],
          [b, []],
        ]),
      ).length,
      0,
    );
  });
});
