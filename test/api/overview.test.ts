import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { DataSource } from 'typeorm';
import type { Dialer } from '../../src/calls/dial-out/dialer';
import type { LiveControl, ParticipantView } from '../../src/calls/live-control';
import { TestApi } from '../support/api';
import { truncateBookings } from '../support/db';
import { eventProperties, unescapeText, unfold } from '../support/ical';
import { skipFor } from '../support/skip';

/**
 * The console's read endpoints on a real PostgreSQL: GET /overview (the Today page) and each
 * meeting's invitation material (calendar.ics, invitation). Times are relative to the real clock,
 * which the overview reads.
 */

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

interface Seeded {
  site: Record<string, string>;
  live: string;
  later: string;
  far: string;
}

async function seed(ds: DataSource): Promise<Seeded> {
  const site: Record<string, string> = {};
  for (const [code, name, enabled] of [
    ['ia-pal', 'Xã Ia Pal', true],
    ['ia-ko', 'Xã Ia Ko', true],
    ['bo-ngoong', 'Xã Bờ Ngoong', true],
    ['dun', 'Xã Dun', false],
    ['al-ba', 'Xã Al Bă', true],
  ] as const) {
    const [row] = await ds.query(`INSERT INTO site (code, name, search_text, protocol, enabled) VALUES ($1, $2, $1, 'sip', $3) RETURNING id`, [
      code,
      name,
      enabled,
    ]);
    site[code] = row.id;
  }
  const meeting = async (title: string, room: number, from: number, to: number, status: string, pin: string | null = null) => {
    const [m] = await ds.query(
      `INSERT INTO meeting (title, room_number, pin, starts_at, ends_at, status, went_live_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [title, room, pin, minutes(from), minutes(to), status, status === 'live' ? minutes(from - 2) : null],
    );
    return m.id as string;
  };
  const invite = async (meetingId: string, ...codes: string[]) => {
    for (const code of codes) await ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [meetingId, site[code]]);
  };
  const live = await meeting('Giao ban sáng, "tháng 3"; Chư Prông', 2001, -10, 110, 'live', '2468');
  await invite(live, 'ia-pal', 'ia-ko', 'bo-ngoong', 'dun');
  const later = await meeting('Họp chiều', 2002, 180, 240, 'scheduled');
  await invite(later, 'al-ba');
  const far = await meeting('Họp ngày mai', 2003, 20 * 60, 21 * 60, 'scheduled');
  await meeting('Đã xong', 2004, -300, -200, 'ended');
  await meeting('Đã hủy', 2005, 60, 90, 'cancelled');

  const take = (siteId: string | null, name: string, lastSeen: number) =>
    ds.query(
      `INSERT INTO participation (meeting_id, site_id, display_name, call_id, source, protocol, direction, joined_at, last_seen_at)
       VALUES ($1, $2, $3, gen_random_uuid()::text, '192.0.2.1:5060', 'sip', 'in', $4, $5)`,
      [live, siteId, name, minutes(-9), minutes(lastSeen)],
    );
  await take(site['ia-pal']!, 'Xã Ia Pal', 0);
  await take(null, 'Nguyễn Văn An', 0);
  await take(site['bo-ngoong']!, 'Xã Bờ Ngoong', -8); // its process died: the heartbeat stopped

  await ds.query(
    `INSERT INTO registration (site_id, contact, call_id, cseq, source_address, source_port, transport, expires_at)
     VALUES ($1, 'sip:ia-pal@192.0.2.1', 'r1', 1, '192.0.2.1', 5060, 'udp', $2), ($3, 'sip:ia-ko@192.0.2.2', 'r2', 1, '192.0.2.2', 5060, 'udp', $4)`,
    [site['ia-pal'], minutes(60), site['ia-ko'], minutes(-1)],
  );
  for (const [n, outcome, status] of [
    [1, 'busy', 486],
    [2, 'no-answer', 408],
    [3, 'unreachable', null],
  ] as const) {
    await ds.query(
      `INSERT INTO dial_attempt (meeting_id, site_id, target, attempt, started_at, ended_at, outcome, sip_status)
       VALUES ($1, $2, 'sip:ia-ko@192.0.2.2', $3, $4, $5, $6, $7)`,
      [live, site['ia-ko'], n, minutes(-12 + n), minutes(-12 + n + 0.5), outcome, status],
    );
  }
  await ds.query(`INSERT INTO readiness_check (meeting_id, site_id, checked_at, target, reachable) VALUES ($1, $2, $3, 'sip:x', false)`, [
    live,
    site['ia-ko'],
    minutes(-25),
  ]);
  return { site, live, later, far };
}

describe('API: the console\u2019s overview and invitations', () => {
  let api: TestApi;
  let s: Seeded;
  let dependencies: Record<string, string> = { database: 'up' };
  before(async () => {
    api = await TestApi.start({
      deps: () => ({
        readiness: async () => dependencies as never,
        publicUrl: 'https://cau.example.gov.vn',
        h323Enabled: true,
      }),
    });
  });
  after(async () => api?.close());
  beforeEach(async () => {
    dependencies = { database: 'up' };
    await truncateBookings(api.ds);
    s = await seed(api.ds);
  });

  describe('GET /overview', () => {
    it('lists live and coming meetings with invited and joined counts, site counts and problems', async () => {
      const res = await api.request('GET', '/api/v1/overview', { key: api.tokens.viewer });
      assert.equal(res.status, 200, res.text);
      const o = res.body;
      assert.deepEqual(
        // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
        o.meetings.map((m: any) => [m.id, m.roomNumber, m.status, m.invited, m.joined, m.participants, m.unreachable]),
        [
          [s.live, 2001, 'live', 4, 1, 2, 1],
          [s.later, 2002, 'scheduled', 1, 0, 0, 0],
        ],
      );
      assert.equal(o.meetings[0].title, 'Giao ban sáng, "tháng 3"; Chư Prông');
      assert.deepEqual(o.sites, { total: 5, enabled: 4, disabled: 1, registered: 1, inCall: 1, unreachable: 1 });
      assert.deepEqual(o.dependencies, { database: 'up' });
      assert.deepEqual(o.problems, [
        {
          kind: 'sites-missing',
          meeting: { id: s.live, title: 'Giao ban sáng, "tháng 3"; Chư Prông', roomNumber: 2001, startsAt: o.meetings[0].startsAt },
          sites: [
            { id: s.site['bo-ngoong'], code: 'bo-ngoong', name: 'Xã Bờ Ngoong' },
            { id: s.site['ia-ko'], code: 'ia-ko', name: 'Xã Ia Ko' },
          ],
        },
        {
          kind: 'dial-failures',
          site: { id: s.site['ia-ko'], code: 'ia-ko', name: 'Xã Ia Ko' },
          attempts: 3,
          lastOutcome: 'unreachable',
          lastSipStatus: null,
          lastAttemptAt: o.problems[1].lastAttemptAt,
          meetingId: s.live,
        },
      ]);
      assert.ok(Math.abs(Date.parse(o.window.to) - Date.parse(o.window.from) - 12 * 3600_000) < 1000);
    });

    it('looks further ahead with ?hours, and asks for more failures with ?failedAttempts', async () => {
      // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
      const ids = (body: any) => body.meetings.map((m: { id: string }) => m.id);
      assert.deepEqual(ids((await api.request('GET', '/api/v1/overview?hours=24')).body), [s.live, s.later, s.far]);
      assert.deepEqual(ids((await api.request('GET', '/api/v1/overview?hours=1')).body), [s.live]);
      const four = await api.request('GET', '/api/v1/overview?failedAttempts=4');
      assert.deepEqual(
        four.body.problems.map((p: { kind: string }) => p.kind),
        ['sites-missing'],
      );
    });

    it('reports a dependency that is down as a problem, first', async () => {
      dependencies = { database: 'up', 'freeswitch 127.0.0.1:8021': 'down', 'drachtio-server': 'connecting' };
      const o = (await api.request('GET', '/api/v1/overview')).body;
      assert.deepEqual(o.problems[0], { kind: 'dependency-down', dependency: 'freeswitch 127.0.0.1:8021', state: 'down' });
      assert.equal(o.dependencies['drachtio-server'], 'connecting');
    });

    it('refuses bad parameters (422) and callers without a key (401), as problem+json', async () => {
      for (const query of ['hours=0', 'hours=169', 'hours=abc', 'failedAttempts=0', 'bogus=1']) {
        const res = await api.request('GET', `/api/v1/overview?${query}`);
        assert.equal(res.status, 422, query);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      }
      assert.equal((await api.request('GET', '/api/v1/overview', { key: null })).status, 401);
    });
  });

  describe('GET /meetings/{id}/calendar.ics', () => {
    it('is a UTF-8 iCalendar attachment that parses back, with the PIN for an operator', async () => {
      const res = await api.request('GET', `/api/v1/meetings/${s.live}/calendar.ics`, { key: api.tokens.operator });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('content-type'), 'text/calendar; charset=utf-8');
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="meeting-2001-\d{4}-\d{2}-\d{2}\.ics"$/);
      const p = eventProperties(res.text);
      assert.equal(p.get('UID'), `${s.live}@bridge.test`);
      assert.match(p.get('DTSTAMP')!, /^\d{8}T\d{6}Z$/);
      assert.match(p.get('DTSTART')!, /^\d{8}T\d{6}Z$/);
      assert.equal(unescapeText(p.get('SUMMARY')!), 'Giao ban sáng, "tháng 3"; Chư Prông');
      assert.equal(p.get('LOCATION'), 'sip:2001@bridge.test');
      assert.equal(p.get('URL'), 'https://cau.example.gov.vn/join/2001');
      const description = unescapeText(p.get('DESCRIPTION')!);
      assert.match(description, /sip:2001@bridge\.test/);
      assert.match(description, /2001\*2468/);
      assert.match(description, /Mời dự họp trực tuyến/);
      for (const line of res.text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, line);
      assert.ok(unfold(res.text).length > 10);
    });

    it('keeps the PIN from a viewer', async () => {
      const res = await api.request('GET', `/api/v1/meetings/${s.live}/calendar.ics`, { key: api.tokens.viewer });
      assert.equal(res.status, 200);
      assert.doesNotMatch(unfold(res.text).join('\n'), /2468/);
    });

    it('passes a calendar library\u2019s parser, when Python\u2019s icalendar is installed', async function () {
      // Debian's python3 carries the package; a python3 of the user's own (pyenv) may come first on PATH.
      const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import icalendar'], { stdio: 'ignore' }).status === 0);
      if (!python) skipFor(this, 'iCalendar cross-check', "Python's icalendar not found (apt-get install python3-icalendar)");
      const res = await api.request('GET', `/api/v1/meetings/${s.live}/calendar.ics`);
      const script = [
        'import sys, icalendar',
        'cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())',
        'ev = [c for c in cal.walk("VEVENT")][0]',
        'sys.stdout.write(str(ev["SUMMARY"]) + "\\n" + str(ev["LOCATION"]) + "\\n" + ev["DTSTART"].dt.isoformat())',
      ].join('\n');
      const out = spawnSync(python, ['-c', script], { input: Buffer.from(res.text, 'utf8'), encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const [summary, location, start] = out.stdout.split('\n');
      assert.equal(summary, 'Giao ban sáng, "tháng 3"; Chư Prông');
      assert.equal(location, 'sip:2001@bridge.test');
      assert.match(start!, /\+00:00$/);
    });

    it('answers 404 for an unknown meeting and 401 without a key', async () => {
      for (const id of ['6f1c1f8e-0000-4000-8000-000000000000', 'not-a-uuid']) {
        const res = await api.request('GET', `/api/v1/meetings/${id}/calendar.ics`);
        assert.equal(res.status, 404);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      }
      assert.equal((await api.request('GET', `/api/v1/meetings/${s.live}/calendar.ics`, { key: null })).status, 401);
    });
  });

  describe('GET /meetings/{id}/invitation', () => {
    it('gives an operator the text in both languages, the ways to dial in and the PIN', async () => {
      const res = await api.request('GET', `/api/v1/meetings/${s.live}/invitation`, { key: api.tokens.operator });
      assert.equal(res.status, 200, res.text);
      const { text, ...rest } = res.body;
      assert.deepEqual(rest, {
        joinUrl: 'https://cau.example.gov.vn/join/2001',
        sipUri: 'sip:2001@bridge.test',
        dialString: 'sip:2001*2468@bridge.test',
        h323Dial: '2001*2468',
        pin: '2468',
      });
      // The live meeting is booked around now: between 22:00 and midnight (GMT+7) it ends the next day,
      // and the time is written with both dates (test/unit/invitation.test.ts has both forms).
      assert.match(
        text.vi,
        /^Mời dự họp trực tuyến: Giao ban sáng, "tháng 3"; Chư Prông\nThời gian: (\d\d:\d\d–\d\d:\d\d, Thứ .+|\d\d:\d\d Thứ .+ – \d\d:\d\d Thứ .+) \(GMT\+7\)\n/,
      );
      assert.match(text.vi, /Mã PIN: 2468/);
      assert.match(text.en, /^Video meeting: .*\nWhen: .* \(GMT\+7\)\nRoom 2001\n/);
    });

    it('gives a viewer no PIN anywhere', async () => {
      const res = await api.request('GET', `/api/v1/meetings/${s.live}/invitation`, { key: api.tokens.viewer });
      assert.equal(res.status, 200);
      assert.equal('pin' in res.body, false);
      assert.equal(res.body.dialString, 'sip:2001@bridge.test');
      assert.equal(res.body.h323Dial, '2001');
      assert.doesNotMatch(res.text, /2468/);
    });

    it('answers 404 for an unknown meeting', async () => {
      const res = await api.request('GET', '/api/v1/meetings/6f1c1f8e-0000-4000-8000-000000000000/invitation');
      assert.equal(res.status, 404);
    });
  });

  it('documents all three in openapi.json, readable by viewers', async () => {
    const doc = (await api.request('GET', '/api/v1/openapi.json', { key: null })).body;
    const overview = doc.paths['/api/v1/overview'].get;
    assert.equal(overview['x-permission'], 'read');
    assert.deepEqual(overview.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/Overview' });
    assert.deepEqual(
      overview.parameters.map((p: { name: string }) => p.name),
      ['hours', 'failedAttempts'],
    );
    assert.ok(doc.components.schemas.OverviewProblem);
    const ics = doc.paths['/api/v1/meetings/{id}/calendar.ics'].get;
    assert.equal(ics['x-permission'], 'read');
    assert.ok(ics.responses['200'].content['text/calendar']);
    const inv = doc.paths['/api/v1/meetings/{id}/invitation'].get;
    assert.deepEqual(inv.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/Invitation' });
  });
});

describe('API: the overview with SIP configured', () => {
  let api: TestApi;
  let s: Seeded;
  const rosters = new Map<string, Partial<ParticipantView>[]>();
  before(async () => {
    const control = { participants: (id: string) => rosters.get(id) ?? [], isLocked: () => false } as unknown as LiveControl;
    api = await TestApi.start({ deps: () => ({ live: { control, dialer: {} as Dialer } }) });
    s = await seed(api.ds);
  });
  after(async () => api?.close());

  it('counts who is in each meeting from the live roster, not the records', async () => {
    rosters.set(s.live, [{ siteId: s.site['ia-ko']! }, { siteId: s.site['bo-ngoong']! }, { siteId: null }, { siteId: null }]);
    const o = (await api.request('GET', '/api/v1/overview')).body;
    assert.deepEqual([o.meetings[0].joined, o.meetings[0].participants], [2, 4]);
    assert.equal(o.sites.inCall, 2);
    assert.deepEqual(
      // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
      o.problems.map((p: any) => [p.kind, (p.sites ?? [p.site]).map((x: { code: string }) => x.code)]),
      [['sites-missing', ['ia-pal']]],
      'Ia Ko is in now: its failed dial-outs are no longer a problem',
    );
  });
});
