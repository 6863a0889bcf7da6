import assert from 'node:assert/strict';
import { LiveControl } from '../../src/calls/live-control';
import { RosterBodies } from '../../src/api/meetings/roster-body';
import { silentLogger } from '../../src/log';
import { conferenceLayouts } from '../../src/media/freeswitch/conference';
import { fakeRegistry } from '../support/fake-calls';
import { FakeMedia, type FakeEndpoint } from '../support/fake-media';

/** The roster every console polls: made again, and serialised again, only when something in it changed. */
describe('roster (live control and its JSON)', () => {
  async function meetingOfTwo() {
    const media = new FakeMedia(['fs1']);
    const { calls } = fakeRegistry();
    const live = new LiveControl(calls, { control: () => media.conference });
    const endpoints: FakeEndpoint[] = [];
    for (let i = 1; i <= 2; i++) {
      const call = calls.start(
        { callId: `c${i}`, meetingId: 'm1', siteId: null, displayName: `Xã ${i}`, source: '', moderator: false, protocol: 'sip', direction: 'in' },
        silentLogger,
      );
      const lease = media.leaseOn('fs1')!;
      const endpoint = (await lease.createEndpoint()) as FakeEndpoint;
      call.attachMedia(lease, endpoint);
      call.joined(`p${i}`, 10 + i, false);
      endpoints.push(endpoint);
    }
    const rosters = new RosterBodies();
    const body = () =>
      rosters.body('m1', { items: live.participants('m1'), locked: live.isLocked('m1'), layouts: conferenceLayouts, layout: live.currentLayout('m1') });
    return { live, endpoints, body };
  }

  it('hands out the same view of a participant until something in it changes', async () => {
    const { live, endpoints } = await meetingOfTwo();
    const [a, b] = live.participants('m1');
    assert.deepEqual(live.participants('m1'), [a, b]);
    assert.equal(live.participants('m1')[0], a, 'unchanged: the same object');
    endpoints[1]!.memberChange({ talking: true });
    const [a2, b2] = live.participants('m1');
    assert.equal(a2, a);
    assert.notEqual(b2, b);
    assert.equal(b2!.talking, true);
    assert.ok(Object.isFrozen(b2), 'a view every reader shares cannot be changed by one of them');
  });

  it('serialises the roster again only when it differs, and then says what changed', async () => {
    const { endpoints, body } = await meetingOfTwo();
    const first = body();
    assert.equal(JSON.parse(first).items.length, 2);
    assert.equal(body(), first);
    endpoints[0]!.memberChange({ muted: true });
    const muted = JSON.parse(body());
    assert.deepEqual(
      muted.items.map((p: { name: string; muted: boolean }) => [p.name, p.muted]),
      [
        ['Xã 1', true],
        ['Xã 2', false],
      ],
    );
    assert.equal(muted.locked, false);
  });

  it('sees a lock and a participant leaving', async () => {
    const { live, body } = await meetingOfTwo();
    body();
    live.lock('m1', true);
    assert.equal(JSON.parse(body()).locked, true);
    await live.kick('m1', 'p2');
    assert.deepEqual(
      JSON.parse(body()).items.map((p: { id: string }) => p.id),
      ['p1'],
    );
  });
});
