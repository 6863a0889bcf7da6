import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { HttpProblem } from './problem';
import { route } from './route';

/**
 * A page built by src/web-build (the join page, the operator console) served from its build
 * directory: `index.html`, and content-hashed assets under `assets/` (with `.gz` twins the build
 * wrote). Nothing is loaded from elsewhere, so a government network with no internet serves it whole.
 */

const ASSET_NAME = /^[A-Za-z0-9_-]+\.(?:js|css)(?:\.map)?$/;
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
// Asset names carry a content hash: a new build is a new name, so a browser never needs to ask again.
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface BuiltPage {
  /** Answers `index.html` with the given security headers; 503 when the page has not been built. */
  page(ctx: Context, headers: Record<string, string>): Promise<void>;
  /** `GET <prefix>/assets/{file}`. */
  assetRoute(prefix: string, tag: string, what: string): ReturnType<typeof route>;
}

export function builtPage(webDir: string, name: string): BuiltPage {
  const assetsDir = join(webDir, 'assets');
  const assets = new Map<string, Buffer | null>();

  /** A file of the build, read once (it never changes under its name); null when absent. */
  const asset = async (file: string): Promise<Buffer | null> => {
    if (!assets.has(file)) {
      const data = await readFile(join(assetsDir, file)).catch(() => null);
      if (!data) return null; // not cached: a build running right now may write it
      assets.set(file, data);
    }
    return assets.get(file) ?? null;
  };

  return {
    async page(ctx, headers) {
      const html = await readFile(join(webDir, 'index.html')).catch(() => null);
      if (!html) throw new HttpProblem(503, 'Service Unavailable', `the ${name} is not built: run \`npm run build\``);
      ctx.set({ ...headers, 'Cache-Control': 'no-cache' }); // revalidate: it names the current bundle
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = html;
    },
    assetRoute(prefix, tag, what) {
      return route({
        method: 'get',
        path: `${prefix}/assets/{file}`,
        tag,
        summary: what,
        permission: 'public',
        params: z.object({ file: z.string().describe('File name, as index.html names it') }),
        responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
        async handler(ctx, { params }) {
          const notFound = new HttpProblem(404, 'Not Found', `no ${name} asset ${params.file}`);
          if (!ASSET_NAME.test(params.file)) throw notFound;
          const type = CONTENT_TYPES[extname(params.file)];
          const plain = await asset(params.file);
          if (!plain || !type) throw notFound;
          const gzip = !params.file.endsWith('.map') && ctx.acceptsEncodings('gzip', 'identity') === 'gzip' ? await asset(`${params.file}.gz`) : null;
          ctx.set({ 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff', Vary: 'Accept-Encoding' });
          if (gzip) ctx.set('Content-Encoding', 'gzip');
          ctx.type = type;
          ctx.body = gzip ?? plain;
        },
      });
    },
  };
}
