import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { verifyJoinToken } from '../../src/access/join-tokens';
import { openApiDocument } from '../../src/api/openapi';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { JOIN_SECRET, JoinServer } from './join-server';

const minute = 60_000;

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
  body: any;
  text: string;
}

async function request(base: string, method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(json !== undefined ? { body: typeof json === 'string' ? json : JSON.stringify(json) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : undefined, text };
}

describe('join API and page routes', () => {
  let web: WebBuildResult;
  let server: JoinServer;
  let clock = 0;
  const pinFailures = new FailureLimiter({ maxFailures: 3, windowMs: 10 * minute, blockMs: 15 * minute, now: () => clock });
  let openId: string;
  const call = (method: string, path: string, json?: unknown, headers?: Record<string, string>) => request(server.base, method, path, json, headers);
  const token = (room: number, json: unknown) => call('POST', `/api/v1/join/${room}/token`, json);

  before(async function () {
    this.timeout(60_000);
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });
    server = await JoinServer.start({
      webDir: web.outDir,
      wsServers: ['ws://127.0.0.1:8088', 'ws://10.0.0.2:8088'],
      iceServers: [{ urls: 'turn:10.0.0.3:3478', username: 'u', credential: 'p' }],
      pinFailures,
    });
    openId = await server.book({ room: 2001, title: 'Giao ban trực tuyến tháng 12', startsIn: -10, lasts: 120, pin: '2468' });
    await server.book({ room: 2002, title: 'Họp Ban Chỉ đạo', startsIn: 180, lasts: 60, pin: '1357' });
    await server.book({ room: 2003, title: 'Không có PIN', startsIn: -5, lasts: 60 });
    await server.book({ room: 2004, title: 'Chỉ điểm cầu được mời', startsIn: -5, lasts: 60, allowGuests: false });
    const ended = await server.book({ room: 2005, title: 'Họp đã xong', startsIn: 10, lasts: 60 });
    const cancelled = await server.book({ room: 2006, title: 'Họp bị hủy', startsIn: 10, lasts: 60 });
    // Bookings cannot be made in the past through the API: move these two there directly.
    await server.ds.query(`UPDATE meeting SET starts_at = now() - interval '3 hours', ends_at = now() - interval '2 hours' WHERE id = $1`, [ended]);
    await server.ds.query(`UPDATE meeting SET status = 'cancelled', starts_at = now() - interval '1 hour' WHERE id = $1`, [cancelled]);
  });
  after(async () => {
    await server?.close();
    if (web) await rm(web.outDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock += 60 * minute; // forget earlier PIN failures
  });

  describe('GET /api/v1/join/{room}', () => {
    it('describes the open meeting without revealing its PIN', async () => {
      const res = await call('GET', '/api/v1/join/2001');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const { startsAt, endsAt, opensAt, ...rest } = res.body;
      assert.deepEqual(rest, {
        room: 2001,
        title: 'Giao ban trực tuyến tháng 12',
        status: 'open',
        hasPin: true,
        allowGuests: true,
        sipUri: 'sip:2001@bridge.test',
        wsUri: 'ws://127.0.0.1:8088',
      });
      assert.equal(Date.parse(opensAt), Date.parse(startsAt) - 15 * minute);
      assert.ok(Date.parse(endsAt) > Date.now());
      assert.doesNotMatch(res.text, /2468/);
    });

    it('says when a later meeting opens, and which meeting has ended or was cancelled', async () => {
      const later = await call('GET', '/api/v1/join/2002');
      assert.equal(later.body.status, 'not-open-yet');
      assert.equal(Date.parse(later.body.opensAt), Date.parse(later.body.startsAt) - 15 * minute);
      assert.equal((await call('GET', '/api/v1/join/2005')).body.status, 'ended');
      assert.equal((await call('GET', '/api/v1/join/2006')).body.status, 'cancelled');
      assert.equal((await call('GET', '/api/v1/join/2004')).body.allowGuests, false);
    });

    it('answers 404 with a reason for a room with no meeting, 422 for a malformed room', async () => {
      const none = await call('GET', '/api/v1/join/2099');
      assert.equal(none.status, 404);
      assert.match(none.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(none.body.reason, 'no-meeting');
      assert.equal((await call('GET', '/api/v1/join/abc')).status, 422);
    });
  });

  describe('POST /api/v1/join/{room}/token', () => {
    it('issues a token for the open meeting with the right PIN, and everything the page needs to call', async () => {
      const before = Date.now();
      const res = await token(2001, { name: 'Nguyễn Thị Lan', pin: '2468' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.body.sipUri, 'sip:2001@bridge.test');
      assert.deepEqual(res.body.wsServers, ['ws://127.0.0.1:8088', 'ws://10.0.0.2:8088']);
      assert.deepEqual(res.body.iceServers, [{ urls: 'turn:10.0.0.3:3478', username: 'u', credential: 'p' }]);
      assert.equal(res.body.displayName, 'Nguyễn Thị Lan');
      const expires = Date.parse(res.body.expiresAt);
      assert.ok(expires >= before + 5 * minute - 1000 && expires <= Date.now() + 5 * minute);
      const verified = verifyJoinToken(JOIN_SECRET, res.body.token, { room: 2001, now: new Date() });
      assert.ok(verified.ok);
      assert.equal(verified.claims.meetingId, openId);
      assert.equal(verified.claims.name, 'Nguyễn Thị Lan');
      assert.equal(verified.claims.expiresAt.getTime(), expires);
    });

    it('needs no PIN for a meeting without one', async () => {
      assert.equal((await token(2003, { name: 'Khách' })).status, 201);
    });

    it('normalizes the name to NFC and collapses whitespace (no CR/LF can reach a SIP header)', async () => {
      const decomposed = 'Nguye\u0302\u0303n  Va\u0306n\r\nA\u0300nh';
      const res = await token(2003, { name: `  ${decomposed} ` });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.displayName, 'Nguyễn Văn Ành');
      assert.equal(res.body.displayName, res.body.displayName.normalize('NFC'));
    });

    it('refuses empty, too long and control-character names, naming the field', async () => {
      for (const name of ['', '   ', 'x'.repeat(61), 'A\u0000B', 'A\u202EB']) {
        const res = await token(2003, { name });
        assert.equal(res.status, 422, `${JSON.stringify(name)}: ${res.text}`);
        assert.equal(res.body.errors[0].field, 'name');
      }
      assert.equal((await token(2003, { name: 'ễ'.repeat(60) })).status, 201, '60 Vietnamese letters are fine');
      assert.equal((await token(2003, { name: 'A', extra: 1 })).status, 422);
      assert.equal((await call('POST', '/api/v1/join/2003/token', 'name=A', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
    });

    it('answers a wrong PIN with 403 and nothing more; a missing one with 422', async () => {
      const wrong = await token(2001, { name: 'An', pin: '1111' });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.reason, 'wrong-pin');
      assert.equal(wrong.body.title, 'Wrong PIN');
      assert.doesNotMatch(wrong.text, /2468|digit|attempt|left/);
      const missing = await token(2001, { name: 'An' });
      assert.equal(missing.status, 422);
      assert.equal(missing.body.reason, 'pin-required');
      assert.equal(missing.body.errors[0].field, 'pin');
    });

    it('shuts an address out after repeated wrong PINs (429, Retry-After), even with the right PIN', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await token(2001, { name: 'An', pin: `000${i}` })).status, 403);
      const blocked = await token(2001, { name: 'An', pin: '2468' });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.reason, 'too-many-attempts');
      assert.equal(blocked.headers.get('retry-after'), String(15 * 60));
      clock += 16 * minute;
      assert.equal((await token(2001, { name: 'An', pin: '2468' })).status, 201, 'the block lifts');
    });

    it('answers 409 for a meeting not open yet (with opensAt), ended or cancelled', async () => {
      const later = await token(2002, { name: 'An', pin: '1357' });
      assert.equal(later.status, 409);
      assert.equal(later.body.reason, 'not-open-yet');
      assert.equal(later.body.opensAt, (await call('GET', '/api/v1/join/2002')).body.opensAt);
      const ended = await token(2005, { name: 'An' });
      assert.deepEqual([ended.status, ended.body.reason], [409, 'ended']);
      const cancelled = await token(2006, { name: 'An' });
      assert.deepEqual([cancelled.status, cancelled.body.reason], [409, 'cancelled']);
      assert.equal((await token(2099, { name: 'An' })).status, 404);
    });

    it('refuses guests where only invited sites may join', async () => {
      const res = await token(2004, { name: 'An' });
      assert.deepEqual([res.status, res.body.reason], [403, 'guests-not-allowed']);
    });
  });

  it('says browser join is off (503, no wsUri) without a token secret', async () => {
    const off = await JoinServer.start({ webDir: web.outDir, tokenSecret: '' });
    try {
      await off.book({ room: 2001, title: 'Họp', startsIn: -5, lasts: 60 });
      const info = await request(off.base, 'GET', '/api/v1/join/2001');
      assert.equal(info.status, 200);
      assert.equal(info.body.wsUri, undefined);
      const res = await request(off.base, 'POST', '/api/v1/join/2001/token', { name: 'An' });
      assert.deepEqual([res.status, res.body.reason], [503, 'not-configured']);
    } finally {
      await off.close();
    }
  });

  it('documents every join route in OpenAPI as public', () => {
    const doc = openApiDocument(
      [
        { prefix: '', routes: server.routes.root },
        { prefix: '/api/v1', routes: server.routes.api },
      ],
      'test',
    ) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of ['/join', '/join/{room}', '/join/assets/{file}', '/api/v1/join/{room}', '/api/v1/join/{room}/token']) {
      assert.ok(doc.paths[path]?.['get'] ?? doc.paths[path]?.['post'], path);
    }
    assert.deepEqual(doc.paths['/api/v1/join/{room}/token']!['post']!.security, []);
    for (const id of ['JoinInfo', 'JoinTicket', 'JoinTokenRequestInput', 'JoinProblem']) assert.ok(doc.components.schemas[id], id);
  });

  describe('page and assets', () => {
    it('serves the page at /join and /join/{room} with a strict CSP allowing the WebSocket servers', async () => {
      for (const path of ['/join', '/join/2001']) {
        const res = await call('GET', path);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(res.headers.get('cache-control'), 'no-cache');
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src 'self'/);
        assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:8088 ws:\/\/10\.0\.0\.2:8088/);
        assert.ok(res.text.includes(`/join/assets/${web.js}`) && res.text.includes(`/join/assets/${web.css}`));
        assert.doesNotMatch(res.text, /https?:\/\//, 'nothing from another origin');
      }
    });

    it('serves the bundle with its content type, cached for good, gzipped when asked', async () => {
      const js = await fetch(`${server.base}/join/assets/${web.js}`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(js.headers.get('content-encoding'), 'gzip');
      assert.match(await js.text(), /X-Join-Token/, 'fetch un-gzips it: the header name is the contract');
      const plain = await call('GET', `/join/assets/${web.css}`, undefined, { 'accept-encoding': 'identity' });
      assert.equal(plain.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.equal(plain.headers.get('content-encoding'), null);
      const map = await call('GET', `/join/assets/${web.js}.map`);
      assert.equal(map.headers.get('content-type'), 'application/json; charset=utf-8');
    });

    it('answers 404 for anything else under /join/assets', async () => {
      for (const path of ['/join/assets/nope.js', '/join/assets/..%2Fpackage.json', '/join/assets/%2E%2E%2Findex.html', `/join/assets/${web.js}.gz`]) {
        assert.equal((await call('GET', path)).status, 404, path);
      }
    });

    it('answers 503 when the page has not been built', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'diemcau-noweb-'));
      const bare = await JoinServer.start({ webDir: empty });
      try {
        const res = await request(bare.base, 'GET', '/join');
        assert.equal(res.status, 503);
        assert.match(res.body.detail, /npm run build/);
      } finally {
        await bare.close();
        await rm(empty, { recursive: true, force: true });
      }
    });
  });
});
