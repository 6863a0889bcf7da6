import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accounts } from '../../src/access/accounts';
import { ApiKeys } from '../../src/access/api-keys';
import { FailureLimiter } from '../../src/access/failure-limiter';
import type { Role } from '../../src/access/api-key.entity';
import { createApp } from '../../src/api/app';
import { joinPinLimiter } from '../../src/api/join';
import type { ApiDeps } from '../../src/api/deps';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { meetingOperations } from '../../src/meetings/operations';
import type { Scheduler } from '../../src/meetings/scheduler';
import { BRIDGE_DOMAIN, type TestBridge } from './bridge';

/** The join page's deps for a test bridge: its drachtio WebSocket, no ICE servers. */
export function bridgeJoinDeps(bridge: TestBridge, tokenSecret: string, pageDir: string): Partial<ApiDeps> {
  return {
    join: {
      ds: bridge.ds,
      sipDomain: BRIDGE_DOMAIN,
      openBeforeMs: 15 * 60_000,
      tokenSecret,
      wsServers: [`ws://127.0.0.1:${bridge.drachtio.wsPort}`],
      iceServers: [],
      pinFailures: joinPinLimiter(),
    },
    joinPageDir: pageDir,
  };
}

export interface ApiReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
  body: any;
}

/** A JSON client for the API at `base` with one bearer token. */
export function apiClient(base: string, token: string) {
  return async (method: string, path: string, json?: unknown): Promise<ApiReply> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(json !== undefined && { 'content-type': 'application/json' }) },
      ...(json !== undefined && { body: JSON.stringify(json) }),
    });
    const text = await res.text();
    return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
  };
}

/**
 * The REST API of a test bridge, composed as `diemcau serve` composes it (live control, events,
 * meeting operations on the bridge's SIP service), on a loopback port, with a key of `role`.
 */
export async function startBridgeApi(
  bridge: TestBridge,
  opts: { role?: Role; scheduler?: Scheduler; extra?: Partial<ApiDeps> } = {},
): Promise<{ base: string; token: string; api: ReturnType<typeof apiClient>; close(): Promise<void> }> {
  const keys = new ApiKeys(bridge.ds, bridge.changes);
  const token = (await keys.issue('test', opts.role ?? 'operator', cliActor)).token;
  const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
  const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN, bridge.changes);
  const app = createApp(
    {
      ds: bridge.ds,
      sites,
      meetings: book,
      keys,
      authFailures: new FailureLimiter({ maxFailures: 100, windowMs: 1000, blockMs: 1000 }),
      accounts: accounts(bridge.ds),
      sipDomain: BRIDGE_DOMAIN,
      timeZone: 'Asia/Ho_Chi_Minh',
      log: bridge.log,
      readiness: async () => bridge.calls.states(),
      events: bridge.calls.engine.events,
      live: { control: bridge.calls.engine.live, dialer: bridge.calls.dialer },
      content: bridge.calls.engine.content,
      recordings: { store: bridge.recordings, recorder: bridge.calls.recorder },
      ...meetingOperations(book, bridge.calls.lifecycle, bridge.calls.engine.events, opts.scheduler ?? null),
      ...opts.extra,
    },
    'test',
  );
  const server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    base,
    token,
    api: apiClient(base, token),
    close: () =>
      new Promise<void>((r) => {
        keys.close();
        sites.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
