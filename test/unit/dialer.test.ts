import assert from 'node:assert/strict';
import type { DialResult, DialTarget } from '../../src/calls/dial-out/dial';
import { Dialer, type DialerDeps, type Placers } from '../../src/calls/dial-out/dialer';
import { defaultRetryPolicy, scalePolicy } from '../../src/calls/dial-out/retry-policy';
import type { Site } from '../../src/directory/site.entity';
import { silentLogger } from '../../src/log';
import type { DialOutcome } from '../../src/meetings/dial-attempts';
import { MeetingEvents, type MeetingEvent } from '../../src/meetings/meeting-events';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { fakeRegistry, liveMeeting } from '../support/fake-calls';
import { InFlight } from '../../src/calls/in-flight';

/**
 * The dialer's campaign on in-memory repositories and scripted placers: which sites it calls, with
 * which placer, how it records attempts, retries by the policy, and stops. No database, no SIP.
 */

function site(id: string, over: Partial<Site> = {}): Site {
  const at = new Date();
  return {
    id,
    code: id,
    name: `Xã ${id}`,
    searchText: id,
    protocol: 'sip',
    sipUri: `sip:${id}@192.0.2.1`,
    h323Address: null,
    h323Alias: null,
    sipUsername: null,
    sipHa1: null,
    sipRealm: null,
    allowedNetworks: [],
    deviceModel: null,
    bandwidthKbps: null,
    h264PacketizationMode: null,
    region: null,
    contactName: null,
    contactPhone: null,
    enabled: true,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

interface AttemptRow {
  siteId: string;
  attempt: number;
  target: string;
  outcome?: DialOutcome;
}

function setup(sites: Site[], placers: Placers, opts: { live?: Meeting[]; redialDropped?: boolean } = {}) {
  const rows: AttemptRow[] = [];
  const events = new MeetingEvents();
  const seen: MeetingEvent[] = [];
  events.subscribe('*', (e) => void seen.push(e));
  const { calls } = fakeRegistry();
  const deps: DialerDeps = {
    calls,
    registrations: { current: async () => [] },
    sites: { siteById: async (id) => sites.find((s) => s.id === id) ?? null },
    meetings: { liveMeeting: async (id) => opts.live?.find((m) => m.id === id) ?? null },
    invitations: { siteIds: async () => sites.map((s) => s.id) },
    attempts: {
      open: async (a) => String(rows.push({ siteId: a.siteId, attempt: a.attempt, target: a.target }) - 1),
      finish: async (id, r) => {
        const row = rows[Number(id)]!;
        row.outcome = r.outcome;
        if (r.target) row.target = r.target;
      },
    },
    events,
    log: silentLogger,
  };
  // Retries a few milliseconds apart instead of seconds.
  const dialer = new Dialer(deps, placers, {
    policy: scalePolicy(defaultRetryPolicy, 1 / 10_000),
    setups: new InFlight(2),
    redialDropped: opts.redialDropped ?? true,
  });
  return { dialer, rows, seen, calls };
}

const result = (outcome: DialOutcome, status: number | null = null): DialResult => ({ outcome, status, callId: null, detail: null });

async function until(what: string, probe: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('dial-out: the dialer on in-memory repositories', () => {
  it('calls every invited site with its protocol placer, and records each attempt', async () => {
    const placed: DialTarget[] = [];
    const h323: DialTarget[] = [];
    const sites = [site('a'), site('b', { protocol: 'h323', h323Alias: '2302', h323Address: '192.0.2.9' })];
    const { dialer, rows } = setup(sites, {
      sip: async (t) => {
        placed.push(t);
        return result('answered', 200);
      },
      h323: async (t) => {
        h323.push(t);
        return { ...result('answered'), target: 'h323:2302@192.0.2.9:1720' };
      },
    });
    await dialer.start(liveMeeting({ dialOut: true }));
    await until('both attempts recorded', () => rows.filter((r) => r.outcome).length === 2);
    assert.deepEqual(
      placed.map((t) => t.uri),
      ['sip:a@192.0.2.1'],
    );
    assert.deepEqual(
      h323.map((t) => t.siteId),
      ['b'],
    );
    assert.deepEqual(
      rows.find((r) => r.siteId === 'b'),
      { siteId: 'b', attempt: 1, target: 'h323:2302@192.0.2.9:1720', outcome: 'answered' },
    );
    assert.deepEqual(dialer.pending('m1'), []);
    dialer.close();
  });

  it('retries a busy site by the policy until it answers, each attempt a row and a pair of events', async () => {
    const outcomes: DialOutcome[] = ['busy', 'busy', 'answered'];
    const { dialer, rows, seen } = setup([site('a')], { sip: async () => result(outcomes.shift()!, 486) });
    await dialer.start(liveMeeting({ dialOut: true }));
    await until('the third attempt', () => rows.length === 3 && rows[2]!.outcome !== undefined);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.outcome]),
      [
        [1, 'busy'],
        [2, 'busy'],
        [3, 'answered'],
      ],
    );
    assert.deepEqual(
      seen.map((e) => e.type),
      ['dial.attempt', 'dial.outcome', 'dial.attempt', 'dial.outcome', 'dial.attempt', 'dial.outcome'],
    );
    dialer.close();
  });

  it('stops retrying when the meeting ends: the attempt in flight is called off, no retry is left pending', async () => {
    let signal: AbortSignal | undefined;
    const { dialer, rows } = setup([site('a')], {
      sip: (t) =>
        new Promise<DialResult>((resolve) => {
          signal = t.signal;
          t.signal?.addEventListener('abort', () => resolve(result('cancelled', 487)));
        }),
    });
    await dialer.start(liveMeeting({ dialOut: true }));
    await until('the site ringing', () => signal !== undefined);
    dialer.stop('m1');
    await until('the attempt recorded', () => rows[0]?.outcome !== undefined);
    assert.equal(signal?.reason, 'meeting-ended');
    assert.deepEqual(
      rows.map((r) => r.outcome),
      ['cancelled'],
    );
    assert.deepEqual(dialer.pending('m1'), []);
  });

  it('records an H.323 site as failed when no H.323 placer is configured, and skips disabled sites', async () => {
    const placed: string[] = [];
    const sites = [site('b', { protocol: 'h323', h323Alias: '2302' }), site('c', { enabled: false })];
    const { dialer, rows } = setup(sites, {
      sip: async (t) => {
        placed.push(t.uri);
        return result('answered');
      },
    });
    await dialer.start(liveMeeting({ dialOut: true }));
    await until('the H.323 attempt recorded', () => rows[0]?.outcome !== undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(rows, [{ siteId: 'b', attempt: 1, target: '(none)', outcome: 'failed' }]);
    assert.deepEqual(placed, []);
    dialer.close();
  });
  it('calls a site lost with its media server back, with or without a campaign or redialling, but not into a meeting that ended', async () => {
    const placed: string[] = [];
    const meeting = liveMeeting({ dialOut: false });
    const { dialer, rows } = setup(
      [site('a'), site('b')],
      {
        sip: async (t) => {
          placed.push(t.siteId!);
          return result('answered', 200);
        },
      },
      { live: [meeting], redialDropped: false },
    );
    // Both dialled in (no campaign here); REDIAL_DROPPED is off.
    dialer.callEnded(meeting.id, 'a', 'caller-hangup');
    dialer.callEnded(meeting.id, 'a', 'media-server-lost');
    dialer.callEnded(meeting.id, 'a', 'media-failure');
    dialer.callEnded(meeting.id, null, 'media-server-lost');
    await until('the lost site called back', () => rows.filter((r) => r.outcome).length === 1);
    assert.deepEqual(
      placed,
      ['a'],
      'only the lost site, once: a site that hangs up, or whose call the media server could not carry, is not redialled when redialling is off',
    );
    dialer.stop(meeting.id);
    dialer.callEnded(meeting.id, 'b', 'media-server-lost');
    dialer.callEnded('m-unknown', 'b', 'media-server-lost');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(placed, ['a'], 'nobody is called into a meeting that ended, or one that is not live');
    dialer.close();
  });

  it('calls back nobody for a call that moved to another media server in its own dialog (the site is still in)', async () => {
    const placed: string[] = [];
    const meeting = liveMeeting({ dialOut: false });
    const { dialer, calls } = setup(
      [site('a')],
      {
        sip: async (t) => {
          placed.push(t.siteId!);
          return result('answered', 200);
        },
      },
      { live: [meeting] },
    );
    calls.start(
      { callId: 'moved', meetingId: meeting.id, siteId: 'a', displayName: 'a', source: '127.0.0.1:5060', moderator: false, protocol: 'sip', direction: 'in' },
      silentLogger,
    );
    dialer.callEnded(meeting.id, 'a', 'media-server-lost');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(placed, []);
    dialer.close();
  });
});
