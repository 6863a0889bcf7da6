import type { AnyRoute } from '../route';
import { JOIN_PAGE_DIR, joinPageRoutes } from './page-routes';
import { joinRoutes, type JoinDeps } from './routes';

export { JOIN_PAGE_DIR, joinPageRoutes, type JoinPageDeps } from './page-routes';
export { joinPinLimiter, joinRoutes, type JoinDeps } from './routes';
export { JOIN_TOKEN_HEADER, type IceServer, type JoinInfo, type JoinTicket } from './contract';

/**
 * Browser join, as `createApp` mounts it: the public API under /api/v1 and the page at the root.
 * `pageDir` is where the build wrote the page (dist/web).
 */
export function browserJoin(deps: JoinDeps, pageDir: string = JOIN_PAGE_DIR): { api: AnyRoute[]; root: AnyRoute[] } {
  return {
    api: joinRoutes(deps),
    root: joinPageRoutes({ webDir: pageDir, wsServers: deps.wsServers }),
  };
}
