import { resolve } from 'node:path';
import type { Context } from 'koa';
import { route } from '../route';
import { builtPage } from '../web-assets';

/**
 * The operator console (src/console): `GET /console` answers the page, `GET /console/assets/…` its
 * bundle. It speaks only the public REST API, signed in with the session cookie; the policy lets it
 * load nothing but its own files and talk to nothing but this origin.
 */

/** `dist/console`: this file runs as dist/src/api/console/page-routes.js. */
export const CONSOLE_PAGE_DIR = resolve(__dirname, '../../../console');

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function consolePageRoutes(webDir: string = CONSOLE_PAGE_DIR) {
  const built = builtPage(webDir, 'operator console');
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
  return [
    route({
      method: 'get',
      path: '/console',
      tag: 'console',
      summary: 'The operator console (sign in with an operator account)',
      permission: 'public',
      responses: { 200: { description: 'The console (HTML)', contentType: 'text/html' }, 503: { description: 'The console has not been built' } },
      handler: (ctx: Context) => built.page(ctx, headers),
    }),
    built.assetRoute('/console', 'console', 'Script, style sheet and source maps of the operator console (content-hashed names)'),
  ];
}
