import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { HttpProblem } from '../problem';
import { route } from '../route';

/**
 * The browser join page: `GET /join` and `GET /join/{room}` answer the page, `GET /join/assets/…`
 * its bundle, all from the build output (src/web-build/build.ts). Nothing is loaded from elsewhere:
 * the Content-Security-Policy allows this origin and the bridge's WebSocket servers only.
 */

export interface JoinPageDeps {
  /** Where the build wrote the page; `JOIN_PAGE_DIR` unless a test built it elsewhere. */
  webDir: string;
  /** The same `SIP_WS_URL` list the join API hands out: the page may connect to these. */
  wsServers: readonly string[];
}

/** `dist/web`: this file runs as dist/src/api/join/page-routes.js. */
export const JOIN_PAGE_DIR = resolve(__dirname, '../../../web');

const ASSET_NAME = /^[A-Za-z0-9_-]+\.(?:js|css)(?:\.map)?$/;
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
// Asset names carry a content hash: a new build is a new name, so a browser never needs to ask again.
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function joinPageRoutes(deps: JoinPageDeps) {
  const assetsDir = join(deps.webDir, 'assets');
  const csp = contentSecurityPolicy(deps.wsServers);
  const assets = new Map<string, Buffer | null>();

  const page = async (ctx: Context) => {
    const html = await readFile(join(deps.webDir, 'index.html')).catch(() => null);
    if (!html) throw new HttpProblem(503, 'Service Unavailable', 'the join page is not built: run `npm run build`');
    ctx.set({
      'Content-Security-Policy': csp,
      'Cache-Control': 'no-cache', // revalidate: it names the current bundle
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Permissions-Policy': 'camera=(self), microphone=(self), geolocation=()',
    });
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  };

  /** A file of the build, read once (it never changes under its name); null when absent. */
  const asset = async (name: string): Promise<Buffer | null> => {
    if (!assets.has(name)) {
      const data = await readFile(join(assetsDir, name)).catch(() => null);
      if (!data) return null; // not cached: a build running right now may write it
      assets.set(name, data);
    }
    return assets.get(name) ?? null;
  };

  const pageResponses = {
    200: { description: 'The join page (HTML)', contentType: 'text/html' },
    503: { description: 'The page has not been built' },
  };

  return [
    route({
      method: 'get',
      path: '/join',
      tag: 'join-page',
      summary: 'The browser join page',
      permission: 'public',
      responses: pageResponses,
      handler: page,
    }),
    route({
      method: 'get',
      path: '/join/{room}',
      tag: 'join-page',
      summary: 'The browser join page, with the room filled in',
      permission: 'public',
      params: z.object({ room: z.string().describe('Room number') }),
      responses: pageResponses,
      handler: page,
    }),
    route({
      method: 'get',
      path: '/join/assets/{file}',
      tag: 'join-page',
      summary: 'Script, style sheet and source maps of the join page (content-hashed names)',
      permission: 'public',
      params: z.object({ file: z.string().describe('File name, as index.html names it') }),
      responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
      async handler(ctx, { params }) {
        const notFound = new HttpProblem(404, 'Not Found', `no join page asset ${params.file}`);
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
    }),
  ];
}

/** Only well-formed ws:/wss: URLs make it into the policy; anything else could break out of it. */
function contentSecurityPolicy(wsServers: readonly string[]): string {
  const ws = wsServers.filter((u) => /^wss?:\/\/[^\s;,'"]+$/.test(u));
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self' ${ws.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
