import { METHODS } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { apiKeyRoutes } from './api-keys/routes';
import { auditRoutes } from './audit/routes';
import type { ApiDeps } from './deps';
import { documentRoutes } from './documents/routes';
import { joinDocumentRoutes } from './documents/join-routes';
import { healthRoutes } from './health';
import { consolePageRoutes } from './console/page-routes';
import { browserJoin } from './join';
import { attendanceRoute } from './meetings/attendance';
import { contentRoutes } from './meetings/content';
import { invitationRoutes } from './meetings/invitation';
import { liveRoutes } from './meetings/live';
import { recordingRoutes } from './recordings/routes';
import { meetingRoutes } from './meetings/routes';
import { errors } from './middleware/errors';
import { openApiDocument } from './openapi';
import { operatorRoutes } from './operators/routes';
import { overviewRoutes } from './overview/routes';
import { mount, route, type AnyRoute } from './route';
import { siteGroupRoutes } from './site-groups/routes';
import { siteStateRoutes } from './site-states/routes';
import { qualityRoutes } from './quality/routes';
import { sessionRoutes } from './session/routes';
import { siteRoutes } from './sites/routes';

export const API_PREFIX = '/api/v1';

/** Every route the app serves, at the root and under /api/v1 — the one list both mounting and the OpenAPI document read. */
export function routeTable(deps: ApiDeps): { root: AnyRoute[]; api: AnyRoute[] } {
  const join = deps.join ? browserJoin(deps.join, deps.joinPageDir) : { root: [], api: [] };
  const documents = deps.documents;
  const documentApi = documents
    ? [
        ...documentRoutes({ meetings: deps.meetings, documents }),
        ...(deps.join ? joinDocumentRoutes({ join: deps.join, documents: documents.book, events: deps.events, content: deps.content }) : []),
      ]
    : [];
  return {
    root: [...healthRoutes(deps), ...join.root, ...consolePageRoutes(deps.consolePageDir)],
    api: [
      ...siteRoutes(deps),
      ...siteGroupRoutes(deps),
      ...siteStateRoutes(deps),
      ...qualityRoutes(deps),
      ...meetingRoutes(deps),
      attendanceRoute(deps),
      ...liveRoutes(deps),
      ...contentRoutes(deps),
      ...recordingRoutes(deps),
      ...apiKeyRoutes(deps),
      ...auditRoutes(deps),
      ...sessionRoutes(deps),
      ...operatorRoutes(deps),
      ...join.api,
      ...overviewRoutes(deps),
      ...invitationRoutes(deps),
      ...documentApi,
    ],
  };
}

/** The Koa application: health probes at the root, the REST API under /api/v1. */
export function createApp(deps: ApiDeps, version: string): Koa {
  // Behind a trusted proxy, the client is the last X-Forwarded-For entry (the one the proxy added;
  // earlier ones are whatever the client sent), and X-Forwarded-Proto says whether it used HTTPS.
  const app = new Koa({ proxy: deps.trustProxy ?? false, maxIpsCount: 1 });
  const { root, api } = routeTable(deps);
  let document: Record<string, unknown> | undefined;
  const openapi = route({
    method: 'get',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document',
    permission: 'public',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    handler(ctx) {
      ctx.body = document;
    },
  });
  api.push(openapi);
  document = openApiDocument(
    [
      { prefix: '', routes: root },
      { prefix: API_PREFIX, routes: api },
    ],
    version,
  );

  const auth = { keys: deps.keys, failures: deps.authFailures, sessions: deps.accounts.sessions };
  const rootRouter = router();
  mount(rootRouter, root, auth);
  const apiRouter = router(API_PREFIX);
  mount(apiRouter, api, auth);

  const metrics = deps.metrics;
  if (metrics) {
    // Label by the route pattern, not the path, so ids do not explode the series.
    app.use(async (ctx, next) => {
      const end = metrics.httpDuration.startTimer();
      try {
        await next();
      } finally {
        const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
        end({ method: ctx.method, route, status: String(ctx.status) });
      }
    });
  }
  app.use(errors(deps.log));
  // What Koa reports after the answer went out (a stream the client left) goes to our log, not to
  // stderr: a browser closing a meeting's event stream is routine, anything else is an error.
  app.on('error', (err: NodeJS.ErrnoException, ctx?: Koa.Context) => {
    const where = { method: ctx?.method, path: ctx?.path };
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') deps.log.debug(where, 'client left before the response ended');
    else deps.log.error({ err, ...where }, 'response failed after it started');
  });
  app.use(rootRouter.routes()).use(rootRouter.allowedMethods());
  app.use(apiRouter.routes()).use(apiRouter.allowedMethods());
  return app;
}

/**
 * A router that knows every method Node lets through, so that a method no route takes is a 405
 * with Allow (or a 404 off every route) instead of koa-router's bodiless 501 for methods outside
 * its short default list: the client asked for something the API does not do; the server did not fail.
 */
function router(prefix?: string): Router {
  return new Router({ methods: [...METHODS], ...(prefix ? { prefix } : {}) });
}
