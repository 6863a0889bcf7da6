import assert from 'node:assert/strict';
import { TestApi } from '../support/api';
import { FakeContent } from '../support/fake-content';

const UNKNOWN = '6f1c1f8e-0000-4000-8000-000000000000';

describe('API: content sharing (who presents, the operator stop, the booking policy)', function () {
  this.timeout(60_000);
  const content = new FakeContent();
  let api: TestApi;
  /** An API without a call side (no SIP): no content sharing either. */
  let bare: TestApi;
  let id: string;
  const siteId = '0b6d1d8e-27b5-4f7e-9d0a-6f1f3c1b2a10';
  const participantId = '5f0b5a1e-8d7e-4c2b-9a55-2f3c1d9e7b10';
  const since = new Date('2026-12-01T01:05:00Z');

  before(async () => {
    api = await TestApi.start({ deps: () => ({ content }) });
    bare = await TestApi.start();
    const start = new Date(Date.now() - 10 * 60_000);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: { title: 'Giao ban', roomNumber: 2080, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.status, 201, booked.text);
    id = booked.body.id;
  });
  after(async () => Promise.all([api?.close(), bare?.close()]));

  it('books take-over by default, takes queue, changes it with PATCH, and refuses anything else', async () => {
    assert.equal((await api.request('GET', `/api/v1/meetings/${id}`)).body.contentPolicy, 'take-over');
    const start = new Date(Date.now() + 86_400_000);
    const span = { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() };
    const queued = await api.request('POST', '/api/v1/meetings', { json: { title: 'Hàng chờ', roomNumber: 2081, ...span, contentPolicy: 'queue' } });
    assert.equal(queued.status, 201, queued.text);
    assert.equal(queued.body.contentPolicy, 'queue');
    const patched = await api.request('PATCH', `/api/v1/meetings/${queued.body.id}`, { json: { contentPolicy: 'take-over' } });
    assert.equal(patched.body.contentPolicy, 'take-over');
    const bad = await api.request('PATCH', `/api/v1/meetings/${queued.body.id}`, { json: { contentPolicy: 'first-come' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].field, 'contentPolicy');
    assert.equal((await api.request('GET', `/api/v1/meetings/${queued.body.id}/content`)).body.policy, 'take-over');
  });

  it('says nobody presents, then who does, to viewers too', async () => {
    const get = () => api.request('GET', `/api/v1/meetings/${id}/content`, { key: api.tokens.viewer });
    assert.deepEqual((await get()).body, { presenter: null, policy: 'take-over' });
    content.present(id, { participantId, name: 'Xã Ia Pal', siteId, protocol: 'h323', since });
    assert.deepEqual((await get()).body, {
      presenter: { participantId, name: 'Xã Ia Pal', siteId, protocol: 'h323', since: since.toISOString() },
      policy: 'take-over',
    });
  });

  it('stops the presenter (200 naming them), then answers 409 as nobody presents', async () => {
    content.present(id, { participantId: null, name: 'Khách Lê', siteId: null, protocol: 'webrtc', since });
    const viewer = await api.request('POST', `/api/v1/meetings/${id}/content/stop`, { key: api.tokens.viewer });
    assert.equal(viewer.status, 403, 'a viewer may not');
    const res = await api.request('POST', `/api/v1/meetings/${id}/content/stop`, { key: api.tokens.operator });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { stopped: { participantId: null, name: 'Khách Lê', siteId: null, protocol: 'webrtc', since: since.toISOString() } });
    const again = await api.request('POST', `/api/v1/meetings/${id}/content/stop`, { key: api.tokens.operator });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('content-type'), 'application/problem+json');
    assert.match(again.body.detail, /nobody is presenting/);
    assert.deepEqual(content.stops, [id, id]);
  });

  it('answers 404 for an unknown meeting; without a call side nobody presents, and the stop answers 503', async () => {
    for (const path of [`/meetings/${UNKNOWN}/content`, `/meetings/${UNKNOWN}/content/stop`, '/meetings/not-a-uuid/content']) {
      const res = await api.request(path.endsWith('stop') ? 'POST' : 'GET', `/api/v1${path}`);
      assert.equal(res.status, 404, path);
    }
    const start = new Date(Date.now() - 10 * 60_000);
    const elsewhere = await bare.request('POST', '/api/v1/meetings', {
      json: { title: 'Không SIP', roomNumber: 2082, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.deepEqual((await bare.request('GET', `/api/v1/meetings/${elsewhere.body.id}/content`)).body, { presenter: null, policy: 'take-over' });
    const res = await bare.request('POST', `/api/v1/meetings/${elsewhere.body.id}/content/stop`);
    assert.equal(res.status, 503);
    assert.match(res.body.detail, /SIP is not configured/);
  });

  it('is in openapi.json: the routes, their permissions, the Presenter schema and the booking field', async () => {
    const doc = (await api.request('GET', '/api/v1/openapi.json')).body;
    const get = doc.paths['/api/v1/meetings/{id}/content'].get;
    const stop = doc.paths['/api/v1/meetings/{id}/content/stop'].post;
    assert.equal(get['x-permission'], 'read');
    assert.equal(stop['x-permission'], 'meetings:write');
    assert.deepEqual(Object.keys(stop.responses).sort(), ['200', '401', '403', '404', '409', '429', '503']);
    assert.deepEqual(doc.components.schemas.Presenter.required.sort(), ['name', 'participantId', 'protocol', 'since', 'siteId']);
    assert.deepEqual(doc.components.schemas.Meeting.properties.contentPolicy.enum, ['take-over', 'queue']);
    assert.deepEqual(doc.components.schemas.MeetingCreate.properties.contentPolicy.enum, ['take-over', 'queue']);
  });
});
