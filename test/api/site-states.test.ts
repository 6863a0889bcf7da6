import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import type { Dialer } from '../../src/calls/dial-out/dialer';
import type { LiveControl, ParticipantView } from '../../src/calls/live-control';
import { TestApi } from '../support/api';
import { truncateBookings } from '../support/db';

/**
 * GET /site-states on a real PostgreSQL: registered, in a call, unreachable at the latest readiness
 * check, and last seen, for many sites in one request. Times are relative to the real clock.
 */

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

interface SiteStateBody {
  siteId: string;
  registered: boolean;
  userAgent: string | null;
  inCall: { meetingId: string } | null;
  readiness: { meetingId: string; reachable: boolean; checkedAt: string } | null;
  lastSeenAt: string | null;
}

async function seed(ds: DataSource) {
  const site: Record<string, string> = {};
  for (const [code, name] of [
    ['ia-pal', 'Xã Ia Pal'],
    ['ia-ko', 'Xã Ia Ko'],
    ['bo-ngoong', 'Xã Bờ Ngoong'],
    ['dun', 'Xã Dun'],
    ['al-ba', 'Xã Al Bă'],
  ] as const) {
    const [row] = await ds.query(`INSERT INTO site (code, name, search_text, protocol, enabled) VALUES ($1, $2, $1, 'sip', true) RETURNING id`, [code, name]);
    site[code] = row.id;
  }
  const meeting = async (room: number, from: number, to: number, status: string) => {
    const [m] = await ds.query(`INSERT INTO meeting (title, room_number, starts_at, ends_at, status) VALUES ('Giao ban', $1, $2, $3, $4) RETURNING id`, [
      room,
      minutes(from),
      minutes(to),
      status,
    ]);
    return m.id as string;
  };
  const live = await meeting(2001, -10, 50, 'live');
  const earlier = await meeting(2002, -300, -240, 'ended');
  const register = (code: string, expires: number, registered: number, userAgent: string | null) =>
    ds.query(
      `INSERT INTO registration (site_id, contact, call_id, cseq, user_agent, source_address, source_port, transport, registered_at, expires_at)
       VALUES ($1, $2, gen_random_uuid()::text, 1, $3, '192.0.2.1', 5060, 'udp', $4, $5)`,
      [site[code], `sip:${code}@192.0.2.1:${5060 + registered}`, userAgent, minutes(registered), minutes(expires)],
    );
  const participate = (meetingId: string, code: string, joined: number, lastSeen: number, left: number | null) =>
    ds.query(
      `INSERT INTO participation (meeting_id, site_id, display_name, call_id, source, protocol, direction, joined_at, last_seen_at, left_at, end_reason)
       VALUES ($1, $2, $3, gen_random_uuid()::text, '192.0.2.1:5060', 'sip', 'in', $4, $5, $6, $7)`,
      [meetingId, site[code], code, minutes(joined), minutes(lastSeen), left === null ? null : minutes(left), left === null ? null : 'caller-hangup'],
    );
  const check = (meetingId: string, code: string, at: number, reachable: boolean) =>
    ds.query(`INSERT INTO readiness_check (meeting_id, site_id, checked_at, target, reachable) VALUES ($1, $2, $3, 'sip:x', $4)`, [
      meetingId,
      site[code],
      minutes(at),
      reachable,
    ]);

  // ia-pal: registered twice (the newer binding's user agent counts), and in the live meeting now.
  await register('ia-pal', 50, -20, 'Polycom/old');
  await register('ia-pal', 55, -5, 'Polycom RealPresence Group 500/6.2');
  await participate(live, 'ia-pal', -9, 0, null);
  await check(live, 'ia-pal', -25, true);
  // ia-ko: registered, not in a call; its latest readiness check answered after an earlier miss.
  await register('ia-ko', 30, -2, null);
  await check(earlier, 'ia-ko', -320, false);
  await check(live, 'ia-ko', -25, true);
  // bo-ngoong: unreachable at its latest check; its registration expired; its call ended long ago.
  await register('bo-ngoong', -60, -90, 'Cisco SX20');
  await participate(earlier, 'bo-ngoong', -300, -250, -250);
  await check(earlier, 'bo-ngoong', -320, true);
  await check(live, 'bo-ngoong', -25, false);
  // dun: a call whose process died (stale heartbeat) is not "in a call", but it was seen.
  await participate(live, 'dun', -9, -8, null);
  // al-ba: never seen, never checked.
  await ds.query(`INSERT INTO site_group (code, name) VALUES ('cum-1', 'Cụm 1')`);
  await ds.query(`INSERT INTO site_group_member (group_id, site_id) SELECT id, $1 FROM site_group WHERE code = 'cum-1'`, [site['ia-pal']]);
  await ds.query(`INSERT INTO site_group_member (group_id, site_id) SELECT id, $1 FROM site_group WHERE code = 'cum-1'`, [site['al-ba']]);
  return { site, live, earlier };
}

describe('API: GET /site-states', () => {
  let api: TestApi;
  let s: Awaited<ReturnType<typeof seed>>;
  before(async () => {
    api = await TestApi.start();
  });
  after(async () => api?.close());
  beforeEach(async () => {
    await truncateBookings(api.ds);
    s = await seed(api.ds);
  });

  const near = (iso: string | null, minutesFromNow: number) => {
    assert.ok(iso, 'a time');
    assert.ok(Math.abs(Date.parse(iso) - Date.parse(minutes(minutesFromNow))) < 5000, `${iso} is not ${minutesFromNow} min from now`);
  };

  it('answers every site in directory order: registered, in a call, unreachable, never seen', async () => {
    const res = await api.request('GET', '/api/v1/site-states', { key: api.tokens.viewer });
    assert.equal(res.status, 200, res.text);
    const items = res.body.items as SiteStateBody[];
    const codeOf = new Map(Object.entries(s.site).map(([code, id]) => [id, code]));
    assert.deepEqual(
      items.map((i) => codeOf.get(i.siteId)),
      ['al-ba', 'bo-ngoong', 'dun', 'ia-ko', 'ia-pal'],
    );
    const by = (code: string) => items.find((i) => i.siteId === s.site[code])!;

    const iaPal = by('ia-pal');
    assert.equal(iaPal.registered, true);
    assert.equal(iaPal.userAgent, 'Polycom RealPresence Group 500/6.2');
    assert.deepEqual(iaPal.inCall, { meetingId: s.live });
    assert.equal(iaPal.readiness?.reachable, true);
    near(iaPal.lastSeenAt, 0); // the call's heartbeat is newer than the registration

    const iaKo = by('ia-ko');
    assert.deepEqual([iaKo.registered, iaKo.userAgent, iaKo.inCall], [true, null, null]);
    assert.deepEqual(iaKo.readiness && { ...iaKo.readiness, checkedAt: undefined }, { meetingId: s.live, reachable: true, checkedAt: undefined });
    near(iaKo.lastSeenAt, -2);

    const boNgoong = by('bo-ngoong');
    assert.deepEqual([boNgoong.registered, boNgoong.userAgent, boNgoong.inCall], [false, null, null]);
    assert.equal(boNgoong.readiness?.reachable, false);
    assert.equal(boNgoong.readiness?.meetingId, s.live);
    near(boNgoong.readiness!.checkedAt, -25);
    near(boNgoong.lastSeenAt, -90); // the expired registration's refresh is newer than the old call

    const dun = by('dun');
    assert.deepEqual([dun.registered, dun.inCall, dun.readiness], [false, null, null]);
    near(dun.lastSeenAt, -8);

    assert.deepEqual(by('al-ba'), { siteId: s.site['al-ba'], registered: false, userAgent: null, inCall: null, readiness: null, lastSeenAt: null });
    near(res.body.generatedAt, 0);
  });

  it('agrees with GET /sites/{id}/status about who is in a call (a stale heartbeat is not)', async () => {
    const states = (await api.request('GET', '/api/v1/site-states', { key: api.tokens.viewer })).body.items as SiteStateBody[];
    for (const state of states) {
      const status = await api.request('GET', `/api/v1/sites/${state.siteId}/status`, { key: api.tokens.viewer });
      assert.equal(status.status, 200, status.text);
      assert.equal(status.body.inCall?.meetingId ?? null, state.inCall?.meetingId ?? null, state.siteId);
      assert.equal(status.body.registered, state.registered, state.siteId);
    }
  });

  it('agrees with the overview on how many are registered and in a call', async () => {
    const items = (await api.request('GET', '/api/v1/site-states')).body.items as SiteStateBody[];
    const overview = (await api.request('GET', '/api/v1/overview')).body;
    assert.equal(items.filter((i) => i.registered).length, overview.sites.registered);
    assert.equal(items.filter((i) => i.inCall).length, overview.sites.inCall);
  });

  it('narrows to a group (by code or id) or to ids', async () => {
    const ids = (body: { items: SiteStateBody[] }) => body.items.map((i) => i.siteId);
    const byCode = await api.request('GET', '/api/v1/site-states?group=cum-1');
    assert.equal(byCode.status, 200, byCode.text);
    assert.deepEqual(ids(byCode.body), [s.site['al-ba'], s.site['ia-pal']]);
    const [group] = await api.ds.query(`SELECT id FROM site_group WHERE code = 'cum-1'`);
    assert.deepEqual(ids((await api.request('GET', `/api/v1/site-states?group=${group.id}`)).body), [s.site['al-ba'], s.site['ia-pal']]);
    const some = await api.request('GET', `/api/v1/site-states?ids=${s.site['ia-ko']},${s.site['dun']},7d444840-9dc0-41d1-b245-5ffdce74fad2`);
    assert.equal(some.status, 200, some.text);
    assert.deepEqual(ids(some.body), [s.site['dun'], s.site['ia-ko']]);
    assert.deepEqual((await api.request('GET', '/api/v1/site-states?group=cum-1&ids=')).body.items, []);
  });

  it('refuses an unknown group, ids that are not ids and unknown parameters (422); callers without a key (401)', async () => {
    const tooMany = Array.from({ length: 201 }, () => '7d444840-9dc0-41d1-b245-5ffdce74fad2').join(',');
    for (const query of ['group=nowhere', 'ids=ia-pal', 'ids=1,2', `ids=${tooMany}`, 'bogus=1']) {
      const res = await api.request('GET', `/api/v1/site-states?${query}`);
      assert.equal(res.status, 422, `${query.slice(0, 40)}: ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(res.body.errors.length > 0, query);
    }
    assert.equal((await api.request('GET', '/api/v1/site-states', { key: null })).status, 401);
  });
});

describe('API: GET /site-states with SIP configured', () => {
  let api: TestApi;
  let s: Awaited<ReturnType<typeof seed>>;
  const rosters = new Map<string, Partial<ParticipantView>[]>();
  before(async () => {
    const control = { participants: (id: string) => rosters.get(id) ?? [] } as unknown as LiveControl;
    api = await TestApi.start({ deps: () => ({ live: { control, dialer: {} as Dialer } }) });
    s = await seed(api.ds);
  });
  after(async () => api?.close());

  it('takes "in a call" from the live meeting’s roster, not the records, as the overview does', async () => {
    rosters.set(s.live, [{ siteId: s.site['ia-ko']! }, { siteId: null }]);
    const items = (await api.request('GET', '/api/v1/site-states')).body.items as SiteStateBody[];
    const inCall = items.filter((i) => i.inCall).map((i) => [i.siteId, i.inCall?.meetingId]);
    assert.deepEqual(inCall, [[s.site['ia-ko'], s.live]]);
    assert.equal((await api.request('GET', '/api/v1/overview')).body.sites.inCall, 1);
  });
});
