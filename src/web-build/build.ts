import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { basename, join, relative, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

/**
 * Bundles the browser pages with esbuild: the join page (src/web → `dist/web/`) and the operator
 * console (src/console → `dist/console/`). Each gets `index.html` plus content-hashed assets (JS,
 * CSS, source maps) under `assets/`, which the server may cache forever because a change gives a
 * new name. Runs as part of `npm run build`; type-checking is `tsc -p src/web` and
 * `tsc -p src/console`, not this (esbuild strips types without checking them).
 */

/** The repository root, from dist/src/web-build/ (compiled) or src/web-build/ (run with tsx). */
const ROOT = resolve(__dirname, basename(resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');

/** One page: where its sources are, its script entry, and the name its assets and placeholders carry. */
export interface WebApp {
  /** `join` → join-<hash>.js and %JOIN_JS% / %JOIN_CSS% in index.html. */
  name: string;
  sourceDir: string;
  outDir: string;
  entry: string;
}

export const JOIN_APP: WebApp = { name: 'join', sourceDir: join(ROOT, 'src', 'web'), outDir: join(ROOT, 'dist', 'web'), entry: 'main.ts' };
export const CONSOLE_APP: WebApp = { name: 'console', sourceDir: join(ROOT, 'src', 'console'), outDir: join(ROOT, 'dist', 'console'), entry: 'main.tsx' };

export const WEB_SOURCE_DIR = JOIN_APP.sourceDir;
export const WEB_OUT_DIR = JOIN_APP.outDir;

export interface WebBuildOptions {
  sourceDir?: string;
  outDir?: string;
  /** Default true; tests may turn it off to read the output. */
  minify?: boolean;
}

export interface WebBuildResult {
  outDir: string;
  /** Asset file names (in `outDir/assets`), for the page routes and the tests. */
  js: string;
  css: string;
  assets: string[];
}

/** The join page. */
export function buildWebPage(options: WebBuildOptions = {}): Promise<WebBuildResult> {
  return buildWebApp(JOIN_APP, options);
}

/** The operator console. */
export function buildConsole(options: WebBuildOptions = {}): Promise<WebBuildResult> {
  return buildWebApp(CONSOLE_APP, options);
}

export async function buildWebApp(app: WebApp, options: WebBuildOptions = {}): Promise<WebBuildResult> {
  const sourceDir = options.sourceDir ?? app.sourceDir;
  const outDir = options.outDir ?? app.outDir;
  const assetsDir = join(outDir, 'assets');
  // Old hashed files would pile up otherwise.
  await rm(assetsDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });

  const result = await build({
    entryPoints: [
      { in: join(sourceDir, app.entry), out: app.name },
      { in: join(sourceDir, 'style.css'), out: app.name },
    ],
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    // Vietnamese strings stay readable in the bundle; the server sends it as UTF-8.
    charset: 'utf8',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    tsconfig: join(sourceDir, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  });

  const js = outputFor(result.metafile, app.entry, '.js', assetsDir);
  const css = outputFor(result.metafile, 'style.css', '.css', assetsDir);
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const placeholder = `%${app.name.toUpperCase()}_`;
  const html = template.replace(`${placeholder}JS%`, js).replace(`${placeholder}CSS%`, css);
  if (html.includes(placeholder)) throw new Error(`${app.name}: index.html has a placeholder the build does not fill`);
  await writeFile(join(outDir, 'index.html'), html);

  // Compressed once here rather than on every request: commune links are often slow, and a
  // bundle shrinks to a quarter.
  for (const name of [js, css]) {
    const path = join(assetsDir, name);
    await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: 9 }));
  }
  const assets = Object.keys(result.metafile.outputs)
    .map((p) => basename(p))
    .sort();
  return { outDir, js, css, assets };
}

function outputFor(metafile: Metafile, entry: string, ext: string, assetsDir: string): string {
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint?.endsWith(entry) && path.endsWith(ext)) return basename(path);
  }
  throw new Error(`esbuild wrote no ${ext} for ${entry} in ${relative(process.cwd(), assetsDir)}`);
}

if (require.main === module) {
  const started = Date.now();
  Promise.all([JOIN_APP, CONSOLE_APP].map((app) => buildWebApp(app))).then(
    (built) => {
      for (const r of built) console.log(`web: ${relative(process.cwd(), r.outDir)}/ (${r.js}, ${r.css}) in ${Date.now() - started} ms`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
