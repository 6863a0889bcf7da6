import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { accounts, type Accounts } from '../../src/access/accounts';
import { ApiKeys } from '../../src/access/api-keys';
import { ChangeFeed } from '../../src/db/change-feed';
import { FailureLimiter } from '../../src/access/failure-limiter';
import type { SessionPolicy } from '../../src/access/sessions';
import { createApp } from '../../src/api/app';
import { createHttpServer } from '../../src/api/http-server';
import type { ApiDeps } from '../../src/api/deps';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingDocuments } from '../../src/documents/documents';
import { LocalDocumentStore } from '../../src/documents/local-store';
import { createLogger, silentLogger } from '../../src/log';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { MeetingEvents } from '../../src/meetings/meeting-events';
import { meetingOperations, noMediaLifecycle } from '../../src/meetings/operations';
import { Metrics } from '../../src/observability/metrics';
import { RecordingStore } from '../../src/recordings/recording-store';
import { migratedDataSource } from './db';

export const TEST_REALM = 'bridge.test';

export interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
  body: any;
  text: string;
}

export interface RequestOptions {
  key?: string | null;
  json?: unknown;
  /** Sent as is; bytes for a body that is not valid UTF-8. */
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface TestApiOptions {
  now?: () => Date;
  /** A migrated database to serve (the API closes it); by default a new one on the test PostgreSQL server. */
  ds?: DataSource;
  /** The clock of console sessions (expiry); the real one by default. */
  sessionClock?: () => Date;
  sessionPolicy?: SessionPolicy;
  /** TRUST_PROXY. */
  trustProxy?: boolean;
  /** DOCUMENT_MAX_MB in bytes; 1 MiB by default. Documents go to a new temporary directory. */
  documentMaxBytes?: number;
  /** Dependencies to add or replace, such as the join API's. */
  deps?: (ds: DataSource) => Partial<ApiDeps>;
  /** Listen for cache notifications (as `diemcau serve` does): another process's key revocations arrive at once. */
  notifications?: boolean;
}

/** The real API on a real PostgreSQL database (or the one given), listening on a loopback port. */
export class TestApi {
  private constructor(
    readonly ds: DataSource,
    readonly server: Server,
    readonly base: string,
    readonly tokens: { admin: string; operator: string; viewer: string },
    readonly authFailures: FailureLimiter,
    readonly accounts: Accounts,
    /** The meetings' event fan-out the API streams from: a test publishes here what the call side would. */
    readonly events: MeetingEvents,
    /** Where the API keeps uploaded documents (removed on close). */
    readonly documentsDir: string,
    /** The recordings the API serves, in a temporary directory of their own. */
    readonly recordings: RecordingStore,
    readonly keys: ApiKeys,
    private readonly changes: ChangeFeed | null,
  ) {}

  static async start(options: TestApiOptions = {}): Promise<TestApi> {
    const ds = options.ds ?? (await migratedDataSource()).ds;
    const changes = options.notifications ? new ChangeFeed(ds, silentLogger) : null;
    await changes?.start();
    const keys = new ApiKeys(ds, changes);
    const meetings = new MeetingBook(ds, { min: 2000, max: 2099 }, options.now);
    const events = new MeetingEvents();
    const documentsDir = await mkdtemp(join(tmpdir(), 'diemcau-documents-'));
    const recordings = new RecordingStore(ds, await mkdtemp(join(tmpdir(), 'diemcau-api-recordings-')));
    const authFailures = new FailureLimiter({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000 });
    const limiter = (maxFailures: number) => new FailureLimiter({ maxFailures, windowMs: 60_000, blockMs: 60_000 });
    const accountServices = accounts(ds, {
      limiters: { bySource: limiter(8), byAccountFromSource: limiter(5) },
      ...(options.sessionPolicy ? { policy: options.sessionPolicy } : {}),
      ...(options.sessionClock ? { now: options.sessionClock } : {}),
    });
    const app = createApp(
      {
        ds,
        sites: new SiteDirectory(ds, TEST_REALM, changes),
        meetings,
        keys,
        authFailures,
        accounts: accountServices,
        trustProxy: options.trustProxy ?? false,
        sipDomain: TEST_REALM,
        timeZone: 'Asia/Ho_Chi_Minh',
        log: process.env['TEST_LOG_LEVEL'] ? createLogger({ level: process.env['TEST_LOG_LEVEL'] as 'info', format: 'json' }) : silentLogger,
        readiness: async () => ({ database: 'up' }),
        events,
        metrics: new Metrics(ds, events, recordings),
        live: null,
        recordings: { store: recordings, recorder: null },
        ...meetingOperations(meetings, noMediaLifecycle, events, null),
        documents: { book: new MeetingDocuments(ds, new LocalDocumentStore(documentsDir), events), maxBytes: options.documentMaxBytes ?? 1024 * 1024 },
        ...options.deps?.(ds),
      },
      'test',
    );
    const server = createHttpServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const issue = async (role: 'admin' | 'operator' | 'viewer') => (await keys.issue(`test-${role}`, role, cliActor)).token;
    const tokens = { admin: await issue('admin'), operator: await issue('operator'), viewer: await issue('viewer') };
    return new TestApi(ds, server, `http://127.0.0.1:${port}`, tokens, authFailures, accountServices, events, documentsDir, recordings, keys, changes);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.tokens.admin : options.key;
    if (key) headers['authorization'] = `Bearer ${key}`;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    if (options.contentType) headers['content-type'] = options.contentType;
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel(); // an event stream does not end: its headers are the answer
      return { status: res.status, headers: res.headers, body: undefined, text: '' };
    }
    const text = await res.text();
    let parsed: unknown;
    if (/json/.test(res.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    this.keys.close();
    await this.changes?.close();
    await this.ds.destroy();
    await rm(this.documentsDir, { recursive: true, force: true });
    await rm(this.recordings.dir, { recursive: true, force: true });
  }
}
