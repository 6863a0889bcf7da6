import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { basename, join, relative, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

/**
 * Bundles the join page (src/web) with esbuild into `dist/web/`: `index.html` plus content-hashed
 * assets (JS with SIP.js inside, CSS, source maps) under `assets/`, which the server may cache
 * forever because a change gives a new name. Runs as part of `npm run build`; type-checking the
 * page is `tsc -p src/web`, not this (esbuild strips types without checking them).
 */

/** The repository root, from dist/src/web-build/ (compiled) or src/web-build/ (run with tsx). */
const ROOT = resolve(__dirname, basename(resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');

export const WEB_SOURCE_DIR = join(ROOT, 'src', 'web');
export const WEB_OUT_DIR = join(ROOT, 'dist', 'web');

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

export async function buildWebPage(options: WebBuildOptions = {}): Promise<WebBuildResult> {
  const sourceDir = options.sourceDir ?? WEB_SOURCE_DIR;
  const outDir = options.outDir ?? WEB_OUT_DIR;
  const assetsDir = join(outDir, 'assets');
  // Old hashed files would pile up otherwise.
  await rm(assetsDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });

  const result = await build({
    entryPoints: [
      { in: join(sourceDir, 'main.ts'), out: 'join' },
      { in: join(sourceDir, 'style.css'), out: 'join' },
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
    legalComments: 'linked',
    tsconfig: join(sourceDir, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  });

  const js = outputFor(result.metafile, 'main.ts', '.js', assetsDir);
  const css = outputFor(result.metafile, 'style.css', '.css', assetsDir);
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template.replace('%JOIN_JS%', js).replace('%JOIN_CSS%', css);
  if (html.includes('%JOIN_')) throw new Error('index.html has a placeholder the build does not fill');
  await writeFile(join(outDir, 'index.html'), html);

  // Compressed once here rather than on every request: commune links are often slow, and the
  // bundle (SIP.js inside) shrinks to a quarter.
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
  buildWebPage().then(
    (r) => console.log(`web: ${relative(process.cwd(), r.outDir)}/ (${r.js}, ${r.css}) in ${Date.now() - started} ms`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
