import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Call, type CallHooks, type CallInfo } from '../../src/calls/call';
import { QualitySampler } from '../../src/calls/quality-sampler';
import { ZERO_COUNTERS } from '../../src/media/quality/quality-math';
import { silentLogger } from '../../src/log';
import type { Participations } from '../../src/meetings/participations';

/** A dial-in SIP guest: each case names its own call. */
const baseInfo: CallInfo = {
  callId: 'c1',
  meetingId: 'm1',
  siteId: null,
  displayName: 'x',
  source: '127.0.0.1:5060',
  moderator: false,
  protocol: 'sip',
  direction: 'in',
};
/** Hooks for cases that watch nothing through them. */
const quietHooks: CallHooks = { joined: () => undefined, closing: () => undefined, ended: () => undefined, left: () => undefined, changed: () => undefined };

describe('a call that ends while it is being set up', () => {
  const info: CallInfo = { ...baseInfo, callId: 'c1' };
  const seen: string[] = [];
  const hooks: CallHooks = {
    joined: () => void seen.push('joined'),
    closing: () => void seen.push('closing'),
    ended: (_c, reason) => void seen.push(`ended:${reason}`),
    left: (_c, id, reason) => void seen.push(`left:${id}:${reason}`),
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

  it('detached for a restart: the channel ending afterwards neither tears it down nor writes its row', async () => {
    const ended: (() => void)[] = [];
    const closedRows: string[] = [];
    const participations = { close: async (id: string, reason: string) => void closedRows.push(`${id}:${reason}`) };
    const call = new Call({ ...info, callId: 'c-detach' }, participations as never, silentLogger, hooks);
    let hungUp = 0;
    const endpoint = { uuid: 'u2', hangUp: async () => void hungUp++, onEnded: (l: () => void) => void ended.push(l), onMemberChange: () => undefined };
    call.attachMedia({ serverId: 'fs1', release: () => undefined } as never, endpoint as never);
    call.joined('p2', 3, false);
    const before = seen.length;
    call.detach();
    for (const l of ended) l(); // the next process kills the channel: this one hears it end
    await call.close('kicked');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(closedRows, [], 'the next process owns the row');
    assert.equal(hungUp, 0, 'the channel is left to the next process');
    assert.deepEqual(seen.slice(before), [], 'no teardown');
    assert.equal(call.isClosed(), true);
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

describe('a sampled call that ends', () => {
  const info: CallInfo = { ...baseInfo, callId: 'c2' };

  it('takes the last media sample once, before the channel is hung up, and leaves no timer', async () => {
    const order: string[] = [];
    const call = new Call(info, { close: async () => void order.push('row closed') } as unknown as Participations, silentLogger, quietHooks);
    const lease = { serverId: 'fs1', release: () => void order.push('lease released') };
    const endpoint = {
      uuid: 'u2',
      onEnded: () => () => undefined,
      onMemberChange: () => undefined,
      hangUp: async () => void order.push('hung up'),
    };
    call.attachMedia(lease as never, endpoint as never);
    call.joined('p2', 3, false);
    const sampler = new QualitySampler(
      { counters: async () => ({ ...ZERO_COUNTERS, packetsIn: 10, highestSeqIn: 9, recentLossIn: 0 }), rtcp: null },
      async (_s, final) => void order.push(final ? 'last sample' : 'sample'),
      3_600_000,
      silentLogger,
    );
    call.attachSampler(sampler);
    await Promise.all([call.close('caller-hangup'), call.close('kicked')]);
    assert.deepEqual(order, ['last sample', 'hung up', 'lease released', 'row closed']);
    assert.ok(call.quality, 'the roster keeps the last sample');
  });

  it('finishes a sampler attached after the call closed', async () => {
    const call = new Call(info, {} as Participations, silentLogger, quietHooks);
    await call.close('caller-hangup');
    let finals = 0;
    const sampler = new QualitySampler(
      { counters: async () => ({ ...ZERO_COUNTERS, packetsIn: 1, highestSeqIn: 1 }), rtcp: null },
      async (_s, final) => void (final && finals++),
      10,
      silentLogger,
    );
    call.attachSampler(sampler);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(finals, 1, 'its last sample taken at once, and no periodic one after');
    assert.equal(call.quality, null, 'not attached');
  });
});

describe('a joined call whose media server dies', () => {
  const info: CallInfo = { ...baseInfo, callId: 'c3', siteId: 's1', displayName: 'Xã A' };

  /** An endpoint on `server` whose end the test triggers, and a record of what the call did with it. */
  function media(server: string, log: string[]) {
    let end: ((how: 'hangup' | 'gone' | 'lost') => void) | undefined;
    let down: (yes: boolean) => void = () => undefined;
    const lease = {
      serverId: server,
      release: () => void log.push(`released ${server}`),
      serverDown: () => new Promise<boolean>((r) => (down = r)),
    };
    const endpoint = {
      uuid: `u-${server}`,
      onEnded: (l: typeof end) => {
        end = l;
        return () => {
          end = undefined;
        };
      },
      onMemberChange: () => undefined,
      hangUp: async () => void log.push(`hung up ${server}`),
    };
    return { lease, endpoint, lose: () => end?.('lost'), socketClosed: () => end?.('gone'), serverDown: (yes: boolean) => down(yes) };
  }

  function joinedCall(log: string[]) {
    const hooks: CallHooks = {
      joined: (c) => void log.push(`joined ${c.participationId}`),
      closing: () => undefined,
      ended: (c, reason) => void log.push(`ended ${c.participationId} ${reason}`),
      left: (_c, id, reason) => void log.push(`left ${id} ${reason}`),
      changed: () => undefined,
    };
    const participations = { close: async (id: string, reason: string) => void log.push(`row ${id} ${reason}`) };
    const call = new Call({ ...info }, participations as never, silentLogger, hooks);
    const dialog = Object.assign(new EventEmitter(), {
      destroy: async (o?: { headers?: Record<string, string> }) => void log.push(`BYE ${o?.headers?.['Reason'] ?? ''}`),
    });
    call.attachDialog(dialog as never);
    const first = media('fs1', log);
    call.attachMedia(first.lease as never, first.endpoint as never);
    call.joined('p1', 4, true);
    log.length = 0;
    return { call, first };
  }

  it('moves in its dialog: the row on the dead server closed, the old participation announced as left, then the new joined; once however often it is told', async () => {
    const log: string[] = [];
    const { call, first } = joinedCall(log);
    let moves = 0;
    call.movable(async (c) => {
      moves++;
      assert.equal(c.endpoint, null, 'the dead endpoint is let go before the move');
      assert.equal(c.memberId, null, 'out of the roster while moving');
      const next = media('fs2', log);
      c.attachMedia(next.lease as never, next.endpoint as never);
      c.joined('p2', 9, c.muted);
    });
    // The channel's socket closes; the pool's `down` tells the engine (mediaLost) and the waiting call.
    first.socketClosed();
    const moved = call.mediaLost('fs1');
    await new Promise((r) => setImmediate(r));
    first.serverDown(true);
    await Promise.all([moved, call.mediaLost('fs1')]);
    await new Promise((r) => setImmediate(r));
    assert.equal(moves, 1);
    assert.deepEqual(log, ['released fs1', 'row p1 media-server-lost', 'left p1 media-server-lost', 'joined p2']);
    assert.equal(call.mediaServer, 'fs2');
    assert.equal(call.participationId, 'p2');
    assert.equal(call.muted, true, 'still muted');
    assert.equal(call.isClosed(), false);
  });

  it('ends media-server-lost when the move fails: the new endpoint hung up, the old participation announced once, BYE with the reason', async () => {
    const log: string[] = [];
    const { call, first } = joinedCall(log);
    call.movable(async (c) => {
      const next = media('fs2', log);
      c.attachMedia(next.lease as never, next.endpoint as never);
      throw new Error('488 from the caller');
    });
    first.lose();
    await call.mediaLost('fs1');
    assert.equal(call.isClosed(), true);
    assert.deepEqual(log, [
      'released fs1',
      'row p1 media-server-lost',
      'hung up fs2',
      'BYE Q.850;cause=41;text="media server lost"',
      'released fs2',
      'row p1 media-server-lost',
      'ended p1 media-server-lost',
    ]);
  });

  it('ends media-server-lost without a way to move', async () => {
    const log: string[] = [];
    const { call, first } = joinedCall(log);
    first.lose();
    await call.mediaLost('fs1');
    assert.deepEqual(log, ['BYE Q.850;cause=41;text="media server lost"', 'released fs1', 'row p1 media-server-lost', 'ended p1 media-server-lost']);
  });
});

describe('a call taken over after a restart', () => {
  const info: CallInfo = { ...baseInfo, callId: 'c-adopted', displayName: 'Xã Ayun' };

  /** A call adopted on fs1 with a dialog known by id; what reaches the caller and FreeSWITCH is logged. */
  function adopted(alive: () => Promise<boolean>) {
    const log: string[] = [];
    const rows: string[] = [];
    const call = new Call(info, { close: async (id: string, reason: string) => void rows.push(`${id}:${reason}`) } as never, silentLogger, quietHooks);
    const lease = { serverId: 'fs1', killChannel: async (uuid: string) => void log.push(`kill ${uuid}`), release: () => undefined };
    const dialog = {
      id: 'call-id;from-tag=x',
      end: async (headers?: Record<string, string>) => void log.push(`BYE ${headers?.['Reason'] ?? ''}`.trim()),
      alive: async () => {
        log.push('OPTIONS');
        return alive();
      },
    };
    call.adopt(lease as never, 'chan-1', { participationId: 'p1', memberId: 4, joinedAt: new Date(), muted: false }, dialog);
    return { call, log, rows };
  }

  it('sends the caller a BYE in its dialog when it is ended here, and kills its channel', async () => {
    const { call, log, rows } = adopted(async () => true);
    assert.equal(call.sipDialogId, 'call-id;from-tag=x');
    await call.close('kicked');
    await call.close('kicked');
    assert.deepEqual(log.sort(), ['BYE', 'kill chan-1']);
    assert.deepEqual(rows, ['p1:kicked']);
  });

  it('gives the BYE the reason when its media server is lost (nothing is asked of that server)', async () => {
    const { call, log } = adopted(async () => true);
    await call.close('media-server-lost');
    assert.deepEqual(log, ['BYE Q.850;cause=41;text="media server lost"']);
  });

  it('ends when its caller has left the dialog, without a BYE; stays while the caller answers or cannot be asked', async () => {
    let answer: () => Promise<boolean> = async () => true;
    const { call, log, rows } = adopted(() => answer());
    await call.checkCaller();
    answer = async () => {
      throw new Error('drachtio-server not connected');
    };
    await call.checkCaller();
    assert.equal(call.isClosed(), false);
    answer = async () => false;
    await call.checkCaller();
    assert.equal(call.isClosed(), true);
    assert.deepEqual(log, ['OPTIONS', 'OPTIONS', 'OPTIONS', 'kill chan-1']);
    assert.deepEqual(rows, ['p1:caller-hangup']);
    await call.checkCaller();
    assert.equal(log.length, 4, 'a closed call asks nothing');
  });
});
