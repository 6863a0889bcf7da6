import assert from 'node:assert/strict';
import { KEY_CACHE_TTL_MS } from '../../src/access/api-keys';
import { TestApi } from '../support/api';
import { dataSourcesOnOneDatabase } from '../support/db';
import { QueryCounter } from '../support/query-counter';

describe('API: keys, roles, audit, health and the OpenAPI document', () => {
  let api: TestApi;
  before(async () => {
    api = await TestApi.start();
  });
  after(async () => api.close());

  it('answers 401 without a key or with a bad one, and 429 once a source keeps failing', async () => {
    const none = await api.request('GET', '/api/v1/sites', { key: null });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="diemcau"');
    const forged = `${api.tokens.viewer.slice(0, -4)}AAAA`;
    for (let i = 0; i < 4; i++) assert.equal((await api.request('GET', '/api/v1/sites', { key: forged })).status, 401);
    assert.equal((await api.request('GET', '/api/v1/sites', { key: 'garbage' })).status, 401);
    const blocked = await api.request('GET', '/api/v1/sites', { key: api.tokens.admin });
    assert.equal(blocked.status, 429, 'even a good key waits out the block');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  });

  // The suite above left 127.0.0.1 blocked on its limiter; these use an app of their own.
  describe('with a fresh limiter', () => {
    let fresh: TestApi;
    before(async () => {
      fresh = await TestApi.start();
    });
    after(async () => fresh.close());

    it('issues keys to admins only, shows the token once, and revokes', async () => {
      const denied = await fresh.request('POST', '/api/v1/api-keys', { key: fresh.tokens.operator, json: { name: 'x', role: 'viewer' } });
      assert.equal(denied.status, 403);
      const issued = await fresh.request('POST', '/api/v1/api-keys', { json: { name: 'Trực ban', role: 'viewer' } });
      assert.equal(issued.status, 201);
      assert.match(issued.body.token, /^dck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      const [row] = await fresh.ds.query('SELECT * FROM api_key WHERE id = $1', [issued.body.id]);
      assert.ok(!JSON.stringify(row).includes(issued.body.token.split('_').pop()), 'the secret is not stored');
      assert.equal((await fresh.request('GET', '/api/v1/meetings', { key: issued.body.token })).status, 200);
      const list = await fresh.request('GET', '/api/v1/api-keys');
      assert.ok(!list.text.includes('secret') && !list.text.includes(issued.body.token));
      assert.ok(list.body.items.find((k: { id: string; lastUsedAt: string | null }) => k.id === issued.body.id).lastUsedAt);
      assert.equal((await fresh.request('DELETE', `/api/v1/api-keys/${issued.body.id}`)).status, 204);
      assert.equal((await fresh.request('DELETE', `/api/v1/api-keys/${issued.body.id}`)).status, 204, 'revoking twice is a no-op');
      assert.equal((await fresh.request('GET', '/api/v1/meetings', { key: issued.body.token })).status, 401);
    });

    it('records every write in the audit log, readable by admins only', async () => {
      await fresh.request('POST', '/api/v1/sites', { json: { code: 'ayun', name: 'Xã Ayun' } });
      const events = await fresh.request('GET', '/api/v1/audit-events?resourceType=site');
      assert.equal(events.status, 200);
      assert.equal(events.body.items[0].action, 'site.create');
      assert.equal(events.body.items[0].actor, 'apikey:test-admin');
      assert.equal((await fresh.request('GET', '/api/v1/audit-events', { key: fresh.tokens.operator })).status, 403);
    });

    it('reports health and readiness without a key', async () => {
      assert.deepEqual((await fresh.request('GET', '/healthz', { key: null })).body, { status: 'ok' });
      const ready = await fresh.request('GET', '/readyz', { key: null });
      assert.deepEqual(ready.body, { ready: true, dependencies: { database: 'up' } });
    });

    it('exposes Prometheus metrics, API latency labelled by route pattern', async () => {
      await fresh.request('GET', '/api/v1/sites');
      const res = await fresh.request('GET', '/metrics', { key: null });
      assert.equal(res.status, 200);
      assert.match(res.text, /^diemcau_meetings_active 0$/m);
      assert.match(res.text, /^diemcau_registrations 0$/m);
      assert.match(res.text, /diemcau_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/sites",status="200"\} \d+/);
      assert.match(res.text, /^diemcau_nodejs_eventloop_lag_seconds /m);
    });

    it('documents every route it serves in openapi.json', async () => {
      const doc = (await fresh.request('GET', '/api/v1/openapi.json', { key: null })).body;
      assert.equal(doc.openapi, '3.1.0');
      const documented = new Set(
        Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
        ),
      );
      // Each documented operation is answered by a real route: anything but the router's own 404/405.
      for (const op of documented) {
        const [method, path] = op.split(' ') as [string, string];
        const url = path.replace('{id}', '00000000-0000-4000-8000-000000000000').replace('{participantId}', 'p');
        const res = await fresh.request(method, url, { key: null });
        const routerMiss = (res.status === 404 && /no route for/.test(res.text)) || res.status === 405;
        assert.ok(!routerMiss, `${op} is served (got ${res.status})`);
      }
      assert.ok(documented.has('GET /api/v1/meetings/{id}/attendance'));
      assert.ok(documented.has('GET /api/v1/meetings/{id}/events'));
      assert.ok(documented.has('GET /api/v1/sites/{id}/status'));
      const create = doc.paths['/api/v1/meetings'].post.requestBody.content['application/json'].schema;
      assert.equal(create.$ref, '#/components/schemas/MeetingCreate');
      const schema = doc.components.schemas.MeetingCreate;
      assert.deepEqual(schema.required.sort(), ['endsAt', 'startsAt', 'title']);
      assert.equal(schema.additionalProperties, false);
      assert.equal(doc.components.schemas.Site.properties.hasSipPassword.type, 'boolean');
      assert.equal(doc.components.schemas.Site.properties.sipHa1, undefined);
      // Every $ref resolves.
      const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z0-9]+/g) ?? [];
      for (const ref of refs) assert.ok(doc.components.schemas[ref.split('/').pop()!], `${ref} resolves`);
    });
  });
});

/**
 * Three API processes on one database, as three `diemcau serve` would be: a key revoked through the
 * first is refused by the second at once (its cache hears the revocation trigger's NOTIFY) and by the
 * third, which listens for nothing, once its cache's 1 s TTL has run out.
 */
describe('API keys revoked in one process, refused by the others', () => {
  let first: TestApi;
  let second: TestApi;
  let deaf: TestApi;
  before(async () => {
    const [a, b, c] = await dataSourcesOnOneDatabase(3);
    first = await TestApi.start({ ds: a!, notifications: true });
    second = await TestApi.start({ ds: b!, notifications: true });
    deaf = await TestApi.start({ ds: c! });
  });
  after(async () => {
    await deaf?.close();
    await second?.close();
    await first?.close();
  });

  /** Polls until the key is refused; returns the ms from `since`, or Infinity after `withinMs`. */
  async function refusedAfter(api: TestApi, key: string, since: number, withinMs: number): Promise<number> {
    while (Date.now() - since < withinMs) {
      if ((await api.request('GET', '/api/v1/meetings', { key })).status === 401) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 20));
    }
    return Number.POSITIVE_INFINITY;
  }

  it('is refused by a listening process at once and by a deaf one within the cache TTL (1 s)', async () => {
    const issued = await first.request('POST', '/api/v1/api-keys', { json: { name: 'revoked soon', role: 'viewer' } });
    const key: string = issued.body.token;
    for (const api of [first, second, deaf]) assert.equal((await api.request('GET', '/api/v1/meetings', { key })).status, 200);
    const counter = new QueryCounter(second.ds);
    counter.start();
    assert.equal((await second.request('GET', '/api/v1/meetings', { key })).status, 200);
    counter.stop();
    counter.close();
    assert.ok(!counter.statements.some((s) => s.includes('api_key')), 'a key checked a moment ago is not read again');

    assert.equal((await first.request('DELETE', `/api/v1/api-keys/${issued.body.id}`)).status, 204);
    const revokedAt = Date.now();
    assert.equal((await first.request('GET', '/api/v1/meetings', { key })).status, 401, 'the revoking process at once');
    const bySecond = await refusedAfter(second, key, revokedAt, 2000);
    const byDeaf = await refusedAfter(deaf, key, revokedAt, 2000);
    assert.ok(bySecond < 300, `the notified process refused it after ${bySecond} ms`);
    assert.ok(byDeaf <= 1100, `the deaf process refused it after ${byDeaf} ms (TTL ${KEY_CACHE_TTL_MS} ms)`);
  });
});
