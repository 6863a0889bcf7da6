import assert from 'node:assert/strict';
import type { LiveControl } from '../../src/calls/live-control';
import type { Dialer } from '../../src/calls/dial-out/dialer';
import { TestApi } from '../support/api';
import { FakeContent } from '../support/fake-content';

/** What the live routes ask of the SIP side, answered without one: one participant, every command obeyed. */
function fakeLive(participantId: string) {
  const done: string[] = [];
  const control = {
    participants: () => [{ id: participantId, name: 'Xã Ia Pal' }],
    mute: async () => void done.push('mute'),
    muteAll: async () => {
      done.push('muteAll');
      return 3;
    },
    kick: async () => void done.push('kick'),
    floor: async () => void done.push('floor'),
    lock: () => void done.push('lock'),
    layout: async () => void done.push('layout'),
    isLocked: () => false,
  };
  const dialer = { dialSite: async () => void done.push('dialSite'), dialUri: async () => void done.push('dialUri') };
  const content = new FakeContent();
  return { done, content, live: { control: control as unknown as LiveControl, dialer: dialer as unknown as Dialer } };
}

describe('API: live control is audited under the operator\u2019s name', function () {
  this.timeout(60_000);
  const participantId = '5f0b5a1e-8d7e-4c2b-9a55-2f3c1d9e7b10';
  const fake = fakeLive(participantId);
  let api: TestApi;
  before(async () => {
    api = await TestApi.start({ deps: () => ({ live: fake.live, content: fake.content }) });
  });
  after(async () => api?.close());

  it('records mute, mute-all, kick, floor, lock, layout, dial-out and stopping a presentation, each naming the meeting', async () => {
    const site = await api.request('POST', '/api/v1/sites', {
      json: { code: 'ia-pal', name: 'Xã Ia Pal', protocol: 'sip', sipUsername: 'ia-pal', sipPassword: 'mat-khau-ia-pal' },
    });
    assert.equal(site.status, 201, site.text);
    const start = new Date(Date.now() - 10 * 60_000);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: { title: 'Giao ban', roomNumber: 2070, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    const id: string = booked.body.id;
    await api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [id]);
    assert.equal(
      (await api.request('POST', '/api/v1/operators', { json: { username: 'dieu-hanh', name: 'Phạm Thu', role: 'operator', password: 'mật khẩu đủ dài' } }))
        .status,
      201,
    );
    const signIn = await api.request('POST', '/api/v1/session', { key: null, json: { username: 'dieu-hanh', password: 'mật khẩu đủ dài' } });
    const headers = { cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0]!, 'x-csrf-token': signIn.body.csrfToken };
    const asOperator = (method: string, path: string, json?: unknown) =>
      api.request(method, `/api/v1/meetings/${id}${path}`, { key: null, headers, ...(json !== undefined && { json }) });

    const p = `/participants/${participantId}`;
    assert.equal((await asOperator('POST', `${p}/mute`, { muted: true })).status, 204);
    assert.equal((await asOperator('POST', '/mute-all', { muted: true })).status, 200);
    assert.equal((await asOperator('POST', `${p}/floor`)).status, 204);
    assert.equal((await asOperator('POST', '/lock', { locked: true })).status, 204);
    assert.equal((await asOperator('PUT', '/layout', { layout: '2x2' })).status, 204);
    assert.equal((await asOperator('POST', '/dial', { site: 'ia-pal' })).status, 202);
    assert.equal((await asOperator('DELETE', p)).status, 204);
    assert.deepEqual(fake.done, ['mute', 'muteAll', 'floor', 'lock', 'layout', 'dialSite', 'kick']);
    fake.content.present(id, { participantId, name: 'Xã Ia Pal', siteId: site.body.id, protocol: 'sip', since: new Date() });
    assert.equal((await asOperator('POST', '/content/stop')).status, 200);
    assert.equal((await asOperator('POST', '/content/stop')).status, 409, 'nobody presents any more: nothing done, nothing audited');

    const log = await api.request('GET', `/api/v1/audit-events?meetingId=${id}`);
    const live = log.body.items.filter((e: { action: string }) => e.action !== 'meeting.create').reverse();
    assert.deepEqual(
      live.map((e: { action: string }) => e.action),
      ['meeting.mute', 'meeting.mute-all', 'meeting.floor', 'meeting.lock', 'meeting.layout', 'meeting.dial', 'meeting.kick', 'meeting.content-stop'],
    );
    assert.ok(live.every((e: { actor: string }) => e.actor === 'operator:dieu-hanh (Phạm Thu)'));
    assert.deepEqual(live[0].detail, { participantId, name: 'Xã Ia Pal', muted: true });
    assert.equal(live[1].detail.changed, 3);
    assert.equal(live[5].detail.code, 'ia-pal');
    assert.equal(live[6].detail.name, 'Xã Ia Pal', 'a kicked participant is named as they were');
    assert.deepEqual(live[7].detail, { title: 'Giao ban', participantId, name: 'Xã Ia Pal', siteId: site.body.id });
  });
});
