import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { ApiKeys } from '../../src/access/api-keys';
import { FailureLimiter } from '../../src/access/failure-limiter';
import type { IceServer } from '../../src/api/join/contract';
import { joinPageRoutes } from '../../src/api/join/page-routes';
import { joinPinLimiter, joinRoutes, type JoinDeps } from '../../src/api/join/routes';
import { joinDocumentRoutes } from '../../src/api/documents/join-routes';
import { MeetingDocuments } from '../../src/documents/documents';
import { LocalDocumentStore } from '../../src/documents/local-store';
import { MeetingEvents } from '../../src/meetings/meeting-events';
import { errors } from '../../src/api/middleware/errors';
import { mount, type AnyRoute } from '../../src/api/route';
import { cliActor } from '../../src/audit/audit';
import { silentLogger } from '../../src/log';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { MeetingCreate } from '../../src/meetings/meeting.schema';
import { migratedDataSource } from '../support/db';

export const JOIN_SECRET = 'join-secret-for-the-tests-0123456789';
export const SIP_DOMAIN = 'bridge.test';

export interface JoinServerOptions {
  webDir: string;
  wsServers?: string[];
  iceServers?: IceServer[];
  tokenSecret?: string;
  pinFailures?: FailureLimiter;
  now?: () => Date;
}

/**
 * The join page and the public join API over a real, migrated PostgreSQL database, composed the
 * way `createApp` composes the other routes (errors middleware, `mount`), on a loopback port.
 * Pages are opened at http://localhost:<port> — a secure context, so getUserMedia works.
 */
export class JoinServer {
  private constructor(
    readonly ds: DataSource,
    readonly meetings: MeetingBook,
    readonly server: Server,
    readonly port: number,
    readonly routes: { api: AnyRoute[]; root: AnyRoute[] },
    /** The meetings' documents: a test adds one here as an operator's upload would, and the page hears of it. */
    readonly documents: MeetingDocuments,
    readonly documentsDir: string,
  ) {}

  get base(): string {
    return `http://localhost:${this.port}`;
  }

  static async start(options: JoinServerOptions): Promise<JoinServer> {
    const { ds } = await migratedDataSource();
    const wsServers = options.wsServers ?? ['ws://127.0.0.1:9'];
    const joinDeps: JoinDeps = {
      ds,
      sipDomain: SIP_DOMAIN,
      openBeforeMs: 15 * 60_000,
      ...(options.tokenSecret === '' ? {} : { tokenSecret: options.tokenSecret ?? JOIN_SECRET }),
      wsServers,
      iceServers: options.iceServers ?? [],
      pinFailures: options.pinFailures ?? joinPinLimiter(),
      ...(options.now ? { now: options.now } : {}),
    };
    const api = joinRoutes(joinDeps);
    const events = new MeetingEvents();
    const documentsDir = await mkdtemp(join(tmpdir(), 'diemcau-join-documents-'));
    const documents = new MeetingDocuments(ds, new LocalDocumentStore(documentsDir), events);
    api.push(...joinDocumentRoutes({ join: joinDeps, documents, events }));
    const root = joinPageRoutes({ webDir: options.webDir, wsServers });
    const auth = { keys: new ApiKeys(ds), failures: new FailureLimiter({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000 }) };
    const rootRouter = new Router();
    mount(rootRouter, root, auth);
    const apiRouter = new Router({ prefix: '/api/v1' });
    mount(apiRouter, api, auth);
    const app = new Koa({ proxy: false });
    app.use(errors(silentLogger));
    // A page closing its event stream is routine, as in createApp.
    app.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error(err);
    });
    app.use(rootRouter.routes()).use(rootRouter.allowedMethods());
    app.use(apiRouter.routes()).use(apiRouter.allowedMethods());
    const server = createServer(app.callback());
    // Both loopback families: Chromium may try ::1 first for "localhost".
    await new Promise<void>((r) => server.listen(0, 'localhost', r));
    const { port } = server.address() as AddressInfo;
    return new JoinServer(ds, new MeetingBook(ds, { min: 2000, max: 2099 }), server, port, { api, root }, documents, documentsDir);
  }

  /** Books a meeting; times are offsets in minutes from now. */
  async book(input: { room: number; title: string; startsIn: number; lasts: number; pin?: string | null; allowGuests?: boolean }): Promise<string> {
    const startsAt = new Date(Date.now() + input.startsIn * 60_000);
    const create: MeetingCreate = {
      title: input.title,
      roomNumber: input.room,
      pin: input.pin ?? null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + input.lasts * 60_000).toISOString(),
      invitedSites: [],
      dialOut: false,
      allowGuests: input.allowGuests ?? true,
      mode: 'discussion',
      language: 'vi',
      record: false,
    };
    return (await this.meetings.create(create, cliActor)).meeting.id;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.ds.destroy();
    await rm(this.documentsDir, { recursive: true, force: true });
  }
}
