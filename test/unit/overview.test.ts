import assert from 'node:assert/strict';
import type { DialOutcome } from '../../src/meetings/dial-attempts';
import { buildOverview, connectedNow, type DialRow, type OverviewOptions, type OverviewRows } from '../../src/meetings/overview';

// All times are minutes after 08:00 Hà Nội (01:00Z) on the day; `now` is 08:10.
const T0 = Date.parse('2026-12-01T01:00:00Z');
const t = (min: number) => new Date(T0 + min * 60_000);
const now = t(10);
const options: OverviewOptions = { now, until: t(10 + 12 * 60), failedAttempts: 3, dialSince: t(10 - 24 * 60) };

const site = (code: string, name: string) => ({ id: `site-${code}`, code, name });
const IA_PAL = site('ia-pal', 'Xã Ia Pal');
const IA_KO = site('ia-ko', 'Xã Ia Ko');
const BO_NGOONG = site('bo-ngoong', 'Xã Bờ Ngoong');
const DUN = site('dun', 'Xã Dun');
const AL_BA = site('al-ba', 'Xã Al Bă');

const dial = (s: typeof IA_PAL, min: number, outcome: DialOutcome, sipStatus: number | null = null): DialRow => ({
  site: s,
  meetingId: 'm-live',
  outcome,
  sipStatus,
  startedAt: t(min),
  endedAt: t(min + 0.5),
});

/** A live meeting (08:00–10:00) inviting four sites, and one coming at 14:00 inviting two. */
function rows(): OverviewRows {
  return {
    meetings: [
      { id: 'm-later', title: 'Họp chiều', roomNumber: 2002, startsAt: t(360), endsAt: t(420), status: 'scheduled' },
      { id: 'm-live', title: 'Giao ban sáng', roomNumber: 2001, startsAt: t(0), endsAt: t(120), status: 'live' },
    ],
    invitations: [
      { meetingId: 'm-live', ...IA_PAL, enabled: true },
      { meetingId: 'm-live', ...IA_KO, enabled: true },
      { meetingId: 'm-live', ...BO_NGOONG, enabled: true },
      { meetingId: 'm-live', ...DUN, enabled: false },
      { meetingId: 'm-later', ...IA_PAL, enabled: true },
      { meetingId: 'm-later', ...AL_BA, enabled: true },
    ],
    connected: [
      { meetingId: 'm-live', siteId: IA_PAL.id },
      { meetingId: 'm-live', siteId: IA_PAL.id }, // a second call from the same room system
      { meetingId: 'm-live', siteId: null }, // a guest
    ],
    readiness: [
      { meetingId: 'm-live', siteId: IA_KO.id, reachable: false, checkedAt: t(-15) },
      { meetingId: 'm-live', siteId: IA_PAL.id, reachable: true, checkedAt: t(-15) },
      { meetingId: 'm-later', siteId: AL_BA.id, reachable: false, checkedAt: t(-15) },
      { meetingId: 'm-gone', siteId: BO_NGOONG.id, reachable: false, checkedAt: t(-15) }, // not listed
    ],
    dials: [
      dial(IA_KO, -2, 'busy', 486),
      dial(IA_KO, 0, 'no-answer', 408),
      dial(IA_KO, 1, 'unreachable'),
      dial(BO_NGOONG, -2, 'busy', 486),
      dial(BO_NGOONG, 1, 'no-answer', 408),
    ],
    sites: { total: 7, disabled: 1, registered: 4 },
  };
}

const byKind = (o: ReturnType<typeof buildOverview>, kind: string) => o.problems.filter((p) => p.kind === kind);

describe('overview (the console\u2019s Today page)', () => {
  it('lists meetings by start, with invited, joined, participants and unreachable counts', () => {
    const o = buildOverview(rows(), { database: 'up' }, options);
    assert.deepEqual(
      o.meetings.map((m) => [m.id, m.status, m.invited, m.joined, m.participants, m.unreachable]),
      [
        ['m-live', 'live', 4, 1, 3, 1],
        ['m-later', 'scheduled', 2, 0, 0, 1],
      ],
    );
    assert.deepEqual(o.window, { from: now, to: options.until });
    assert.equal(o.generatedAt, now);
  });

  it('counts sites: registered, in a call (once however many calls), unreachable in a listed meeting, disabled', () => {
    const o = buildOverview(rows(), {}, options);
    assert.deepEqual(o.sites, { total: 7, enabled: 6, disabled: 1, registered: 4, inCall: 1, unreachable: 2 });
  });

  it('names the enabled invited sites missing from a live meeting past its start, by name', () => {
    const [missing, ...more] = byKind(buildOverview(rows(), {}, options), 'sites-missing');
    assert.equal(more.length, 0);
    assert.deepEqual(missing, {
      kind: 'sites-missing',
      meeting: { id: 'm-live', title: 'Giao ban sáng', roomNumber: 2001, startsAt: t(0) },
      sites: [BO_NGOONG, IA_KO], // Dun is disabled: it could not join
    });
    const early = buildOverview(rows(), {}, { ...options, now: t(-1) });
    assert.deepEqual(byKind(early, 'sites-missing'), [], 'live early (the lead) is not late yet');
  });

  it('flags a site whose last K dial-out attempts all failed, with its last outcome', () => {
    const o = buildOverview(rows(), {}, options);
    assert.deepEqual(byKind(o, 'dial-failures'), [
      { kind: 'dial-failures', site: IA_KO, attempts: 3, lastOutcome: 'unreachable', lastSipStatus: null, lastAttemptAt: t(1.5), meetingId: 'm-live' },
    ]);
    assert.deepEqual(
      byKind(buildOverview(rows(), {}, { ...options, failedAttempts: 2 }), 'dial-failures').map((p) => p.kind === 'dial-failures' && p.site.code),
      ['bo-ngoong', 'ia-ko'],
      'K = 2 also finds Bờ Ngoong; sorted by name',
    );
  });

  it('does not flag a site whose latest attempts include an answer, a site connected now, or attempts too old', () => {
    const answered = rows();
    answered.dials.push(dial(IA_KO, 2, 'answered', 200));
    assert.deepEqual(byKind(buildOverview(answered, {}, options), 'dial-failures'), []);

    const inCall = rows();
    inCall.connected.push({ meetingId: 'm-live', siteId: IA_KO.id });
    assert.deepEqual(byKind(buildOverview(inCall, {}, options), 'dial-failures'), []);

    assert.deepEqual(byKind(buildOverview(rows(), {}, { ...options, dialSince: t(0) }), 'dial-failures'), [], 'only two attempts since 08:00');

    const cancelled = rows();
    cancelled.dials.push(dial(IA_KO, 3, 'cancelled'));
    assert.equal(byKind(buildOverview(cancelled, {}, options), 'dial-failures').length, 1, 'a cancelled attempt neither fails nor clears');
  });

  it('reports each dependency that is down, first', () => {
    const o = buildOverview(
      rows(),
      { database: 'up', 'freeswitch 10.0.0.6:8021': 'down', 'drachtio-server': 'connecting', rtpengine: 'not configured' },
      options,
    );
    assert.deepEqual(o.problems[0], { kind: 'dependency-down', dependency: 'freeswitch 10.0.0.6:8021', state: 'down' });
    assert.deepEqual(
      o.problems.map((p) => p.kind),
      ['dependency-down', 'sites-missing', 'dial-failures'],
    );
    assert.equal(o.dependencies['drachtio-server'], 'connecting');
  });

  it('has no problems on a quiet day', () => {
    const o = buildOverview(
      { meetings: [], invitations: [], connected: [], readiness: [], dials: [], sites: { total: 0, disabled: 0, registered: 0 } },
      { database: 'up' },
      options,
    );
    assert.deepEqual(o.problems, []);
    assert.deepEqual(o.sites, { total: 0, enabled: 0, disabled: 0, registered: 0, inCall: 0, unreachable: 0 });
  });

  it('takes the live roster over the records for the meetings it covers', () => {
    const records = [
      { meetingId: 'm-live', siteId: IA_KO.id }, // a record the roster no longer has
      { meetingId: 'm-other', siteId: DUN.id },
    ];
    const merged = connectedNow(records, new Map([['m-live', [{ siteId: IA_PAL.id }, { siteId: null }]]]));
    assert.deepEqual(merged, [
      { meetingId: 'm-other', siteId: DUN.id },
      { meetingId: 'm-live', siteId: IA_PAL.id },
      { meetingId: 'm-live', siteId: null },
    ]);
    assert.deepEqual(connectedNow(records, new Map()), records);
  });
});
