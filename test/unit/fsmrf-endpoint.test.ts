import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type Mrf from 'drachtio-fsmrf';
import { endCause, fsmrfConferenceControl, fsmrfEndpoint } from '../../src/media/freeswitch/fsmrf-endpoint';
import { InvalidStateError } from '../../src/errors';

/** The drachtio-fsmrf adapter's own logic, over stand-ins for its Endpoint and MediaServer. */

function standIns(destroy: () => Promise<void>) {
  const api: string[] = [];
  const ep = Object.assign(new EventEmitter(), { uuid: 'u-1', local: { sdp: 'v=0' }, destroy });
  const ms = {
    api: async (cmd: string) => {
      api.push(cmd);
      return '+OK';
    },
  };
  return { api, ep, endpoint: fsmrfEndpoint(ep as unknown as Mrf.Endpoint, ms as unknown as Mrf.MediaServer) };
}

describe('drachtio-fsmrf adapter', () => {
  it('kills the channel when the orderly hang-up is still waiting after 2 s, and hangs up once', async function () {
    this.timeout(5000);
    let destroys = 0;
    const { api, endpoint } = standIns(() => {
      destroys++;
      return new Promise<void>(() => undefined);
    });
    const started = Date.now();
    await Promise.all([endpoint.hangUp(), endpoint.hangUp()]);
    assert.ok(Date.now() - started >= 1900);
    assert.deepEqual(api, ['uuid_kill u-1']);
    await endpoint.hangUp();
    assert.equal(destroys, 1);
  });

  it('does not kill a channel that hangs up in time, nor one FreeSWITCH already ended', async () => {
    const quick = standIns(async () => undefined);
    await quick.endpoint.hangUp();
    assert.deepEqual(quick.api, []);
    let destroys = 0;
    const gone = standIns(async () => void destroys++);
    const told: string[] = [];
    gone.endpoint.onEnded((how) => told.push(how));
    gone.ep.emit('destroy', { reason: 'NORMAL_CLEARING' });
    await gone.endpoint.hangUp();
    assert.deepEqual(told, ['hangup']);
    assert.equal(destroys, 0);
  });

  it('tells a channel lost with its FreeSWITCH from one FreeSWITCH hung up', () => {
    // drachtio-fsmrf: 'destroy' with the Hangup-Cause for a hang-up; bare when the event socket closed.
    assert.equal(endCause({ reason: 'NORMAL_CLEARING' }), 'hangup');
    assert.equal(endCause({ reason: 'MANAGER_REQUEST' }), 'hangup', 'uuid_kill (ours, or an operator at fs_cli) is a hang-up');
    assert.equal(endCause(undefined), 'gone', 'uuid_kill and a dead server look alike here: the lease tells');
    assert.equal(endCause({ reason: 'SYSTEM_SHUTDOWN' }), 'lost');
    assert.equal(endCause({ reason: 'CRASH' }), 'lost');
  });

  it("turns a conference's -ERR into InvalidStateError and reads an absent conference as no members", async () => {
    const replies: Record<string, string> = {
      'conference diemcau-m1 list': '-ERR Conference diemcau-m1 not found\n',
      'conference diemcau-m1 mute 3': '-ERR Non-Existant ID 3\n',
    };
    const control = fsmrfConferenceControl({ api: async (cmd: string) => replies[cmd] ?? '+OK' } as unknown as Mrf.MediaServer);
    assert.equal((await control.members('m1')).size, 0);
    await assert.rejects(control.mute('m1', 3, true), (err: unknown) => err instanceof InvalidStateError && /Non-Existant ID 3/.test(err.message));
    await control.mute('m1', 4, false);
  });
});
