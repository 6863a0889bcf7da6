import assert from 'node:assert/strict';
import { Call, type CallHooks } from '../../src/calls/call';
import { silentLogger } from '../../src/log';
import type { Participations } from '../../src/meetings/participations';

describe('a call that ends while it is being set up', () => {
  const info = {
    callId: 'c1',
    meetingId: 'm1',
    siteId: null,
    displayName: 'x',
    source: '127.0.0.1:5060',
    moderator: false,
    protocol: 'sip' as const,
    direction: 'in' as const,
  };
  const seen: string[] = [];
  const hooks: CallHooks = {
    joined: () => void seen.push('joined'),
    closing: () => void seen.push('closing'),
    ended: (_c, reason) => void seen.push(`ended:${reason}`),
    changed: () => undefined,
  };

  it('stays closed when the conference join completes after the caller left, and closes once', async () => {
    // Nothing was recorded before the close, so the participation store is never reached.
    const call = new Call(info, {} as Participations, silentLogger, hooks);
    const first = call.close('caller-hangup');
    const second = call.close('kicked');
    await Promise.all([first, second]);
    call.joined('p1', 7, false);
    assert.equal(call.isClosed(), true, 'the caller of joined() sees it closed and closes the row');
    assert.equal(call.participationId, 'p1');
    assert.deepEqual(seen, ['closing', 'ended:caller-hangup'], 'one teardown, with the first reason, and no join announced');
    assert.equal(call.signal.aborted, true);
  });

  it('releases media that arrives after the call closed', async () => {
    const call = new Call(info, {} as Participations, silentLogger, hooks);
    await call.close('caller-hangup');
    let released = 0;
    let destroyed = 0;
    const lease = { serverId: 'fs1', release: () => void released++ };
    const endpoint = { uuid: 'u1', hangUp: async () => void destroyed++ };
    call.attachMedia(lease as never, endpoint as never);
    await new Promise((r) => setImmediate(r));
    assert.equal(released, 1, 'the media server lease');
    assert.equal(destroyed, 1, 'the FreeSWITCH endpoint');
    assert.equal(call.mediaServer, null, 'nothing attached to a closed call');
  });
});
