import { resolve } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { route } from '../route';
import { builtPage } from '../web-assets';

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

export function joinPageRoutes(deps: JoinPageDeps) {
  const built = builtPage(deps.webDir, 'join page');
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy(deps.wsServers),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'camera=(self), microphone=(self), geolocation=()',
  };
  const page = (ctx: Context) => built.page(ctx, headers);
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
    built.assetRoute('/join', 'join-page', 'Script, style sheet and source maps of the join page (content-hashed names)'),
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
