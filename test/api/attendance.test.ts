import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { ApiKeys } from '../../src/access/api-keys';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { attendanceRoute } from '../../src/api/meetings/attendance';
import { errors } from '../../src/api/middleware/errors';
import { openApiDocument } from '../../src/api/openapi';
import { mount } from '../../src/api/route';
import { cliActor } from '../../src/audit/audit';
import { silentLogger } from '../../src/log';
import { ContentShares } from '../../src/meetings/content-shares';
import { migratedDataSource, truncateBookings } from '../support/db';

/**
 * The attendance route on a real PostgreSQL, mounted the way src/api/app.ts mounts routes (it is not
 * registered there yet), with the clock under the test's control.
 */
class AttendanceApi {
  now = new Date('2026-03-02T05:00:00Z');
  private constructor(
    readonly ds: DataSource,
    readonly server: Server,
    readonly base: string,
    readonly tokens: { admin: string; viewer: string },
  ) {}

  static async start(): Promise<AttendanceApi> {
    const { ds } = await migratedDataSource();
    const keys = new ApiKeys(ds);
    let api: AttendanceApi | undefined;
    const router = new Router({ prefix: '/api/v1' });
    const route = attendanceRoute({ ds, timeZone: 'Asia/Ho_Chi_Minh', now: () => api!.now });
    mount(router, [route], { keys, failures: new FailureLimiter({ maxFailures: 50, windowMs: 60_000, blockMs: 60_000 }) });
    const app = new Koa();
    app.use(errors(silentLogger)).use(router.routes()).use(router.allowedMethods());
    const server = createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const issue = async (role: 'admin' | 'viewer') => (await keys.issue(`test-${role}`, role, cliActor)).token;
    api = new AttendanceApi(ds, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      admin: await issue('admin'),
      viewer: await issue('viewer'),
    });
    return api;
  }

  async get(path: string, options: { key?: string | null; accept?: string } = {}) {
    const key = options.key === undefined ? this.tokens.admin : options.key;
    const res = await fetch(`${this.base}/api/v1${path}`, {
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(options.accept ? { accept: options.accept } : {}) },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, type, bytes, body: /json/.test(type) ? JSON.parse(bytes.toString('utf8')) : undefined };
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.ds.destroy();
  }
}

// 2 March 2026, Hà Nội time (+07:00): booked 08:00–10:00, went live 07:55, ended 10:05.
const z = (hhmmss: string) => `2026-03-02T${hhmmss}Z`;
const BO_NGOONG = 'Xã Bờ Ngoong, "Thôn 3"';

async function seed(ds: DataSource): Promise<{ meetingId: string; site: Record<string, string> }> {
  const site: Record<string, string> = {};
  for (const [code, name] of [
    ['ia-pal', 'Xã Ia Pal'],
    ['ia-ko', 'Xã Ia Ko'],
    ['bo-ngoong', BO_NGOONG],
    ['dun', 'Xã Dun'],
    ['chu-se', 'Thị trấn Chư Sê'],
  ] as const) {
    const [row] = await ds.query(`INSERT INTO site (code, name, search_text, protocol) VALUES ($1, $2, $1, 'sip') RETURNING id`, [code, name]);
    site[code] = row.id;
  }
  const [m] = await ds.query(
    `INSERT INTO meeting (title, room_number, starts_at, ends_at, status, went_live_at, ended_at)
     VALUES ('Giao ban tháng 3', 2001, $1, $2, 'ended', $3, $4) RETURNING id`,
    [z('01:00:00'), z('03:00:00'), z('00:55:00'), z('03:05:00')],
  );
  const meetingId: string = m.id;
  for (const code of ['ia-pal', 'ia-ko', 'bo-ngoong', 'dun']) {
    await ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [meetingId, site[code]]);
  }
  const take = async (siteId: string | null, name: string, joined: string, left: string | null, lastSeen = left ?? joined) =>
    ds.query(
      `INSERT INTO participation (meeting_id, site_id, display_name, call_id, source, protocol, direction, joined_at, last_seen_at, left_at, end_reason)
       VALUES ($1, $2, $3, gen_random_uuid()::text, '192.0.2.1:5060', 'sip', 'in', $4, $5, $6, $7)`,
      [meetingId, siteId, name, joined, lastSeen, left, left ? 'caller-hangup' : null],
    );
  // Ia Pal: in 5 min before the meeting went live, a second call overlapping the first, a gap, then
  // past the end → 07:55–08:40 and 08:45–10:05.
  await take(site['ia-pal']!, 'Xã Ia Pal', z('00:50:00'), z('01:30:00'));
  await take(site['ia-pal']!, 'Xã Ia Pal', z('01:20:00'), z('01:40:00'));
  await take(site['ia-pal']!, 'Xã Ia Pal', z('01:45:00'), z('03:10:00'));
  // Bờ Ngoong: a hand-over at 08:30 (one span), then back after a gap for 9 min 59.5 s.
  await take(site['bo-ngoong']!, BO_NGOONG, z('01:00:00'), z('01:30:00'));
  await take(site['bo-ngoong']!, BO_NGOONG, z('01:30:00'), z('02:00:00'));
  await take(site['bo-ngoong']!, BO_NGOONG, z('02:10:00.5'), z('02:20:00'));
  // Dun: a call that dropped the instant it was answered.
  await take(site['dun']!, 'Xã Dun', z('01:10:00'), z('01:10:00'));
  // Chư Sê was not invited and joined as a guest.
  await take(site['chu-se']!, 'Thị trấn Chư Sê', z('02:00:00'), z('02:30:00'));
  // Guests: one came back, and his second call was left open by a process that crashed (last
  // heartbeat 08:50); one whose name would be a spreadsheet formula.
  await take(null, 'Nguyễn Văn An', z('01:05:00'), z('01:15:00'));
  await take(null, 'Nguyễn Văn An', z('01:20:00'), null, z('01:50:00'));
  await take(null, '=1+2', z('01:00:00'), z('01:01:00'));

  const dial = (code: string, attempt: number, started: string, outcome: string, sipStatus: number | null) =>
    ds.query(
      `INSERT INTO dial_attempt (meeting_id, site_id, target, attempt, started_at, ended_at, outcome, sip_status)
       VALUES ($1, $2, $3, $4, $5, $5::timestamptz + interval '20 seconds', $6, $7)`,
      [meetingId, site[code], `sip:${code}@192.0.2.10`, attempt, started, outcome, sipStatus],
    );
  await dial('ia-pal', 2, z('00:56:00'), 'busy', 486);
  await dial('ia-pal', 1, z('00:55:00'), 'busy', 486);
  await dial('ia-pal', 3, z('00:57:00'), 'answered', 200);
  await dial('ia-ko', 1, z('00:55:00'), 'no-answer', 408);
  await dial('ia-ko', 2, z('00:56:00'), 'unreachable', null);

  const check = (code: string, at: string, reachable: boolean, latency: number | null) =>
    ds.query(`INSERT INTO readiness_check (meeting_id, site_id, checked_at, target, reachable, latency_ms) VALUES ($1, $2, $3, 'sip:x', $4, $5)`, [
      meetingId,
      site[code],
      at,
      reachable,
      latency,
    ]);
  await check('ia-pal', z('00:30:00'), false, null);
  await check('ia-pal', z('00:45:00'), true, 12);
  await check('ia-ko', z('00:45:00'), false, null);
  await check('bo-ngoong', z('00:45:00'), true, null);

  // Content: Bờ Ngoong presents 08:10, Ia Pal takes over at 08:25 and releases at 08:40; a guest's
  // browser starts at 09:50 and its row is still open (a process died): counted to the meeting's end.
  const shares = new ContentShares(ds);
  const present = (siteId: string | null, name: string, protocol: 'sip' | 'webrtc', since: string) =>
    shares.started(meetingId, { participantId: null, name, siteId, protocol, since: new Date(since) });
  const first = await present(site['bo-ngoong']!, BO_NGOONG, 'sip', z('01:10:00'));
  const second = await present(site['ia-pal']!, 'Xã Ia Pal', 'sip', z('01:25:00'));
  await shares.ended(first, 'taken-over', new Date(z('01:25:00')));
  await shares.ended(second, 'released', new Date(z('01:40:00')));
  await present(null, 'Nguyễn Văn An', 'webrtc', z('02:50:00'));
  return { meetingId, site };
}

describe('API: meeting attendance', () => {
  let api: AttendanceApi;
  let meetingId: string;
  let site: Record<string, string>;
  before(async () => {
    api = await AttendanceApi.start();
  });
  after(async () => api.close());
  beforeEach(async () => {
    await truncateBookings(api.ds);
    ({ meetingId, site } = await seed(api.ds));
  });

  it('reports every site\u2019s connected time, reconnects, dial attempts and readiness exactly', async () => {
    const res = await api.get(`/meetings/${meetingId}/attendance`);
    assert.equal(res.status, 200, res.bytes.toString());
    const r = res.body;
    assert.deepEqual(r.window, { from: z('00:55:00.000'), to: z('03:05:00.000') });
    assert.deepEqual(
      // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
      r.sites.map((s: any) => [s.site.code, s.invited, s.attended, s.connectedSeconds, s.connectedMinutes, s.reconnects]),
      [
        ['chu-se', false, true, 1800, 30, 0],
        ['bo-ngoong', true, true, 4200, 70, 1], // 3600 + 599.5 = 4199.5 s, rounded once
        ['dun', true, false, 0, 0, 0],
        ['ia-ko', true, false, 0, 0, 0],
        ['ia-pal', true, true, 7500, 125, 1],
      ],
    );
    const iaPal = r.sites.at(-1);
    assert.deepEqual(iaPal.site, { id: site['ia-pal'], code: 'ia-pal', name: 'Xã Ia Pal' });
    assert.equal(iaPal.firstJoinedAt, z('00:55:00.000'), 'clipped to when the meeting went live');
    assert.equal(iaPal.lastLeftAt, z('03:05:00.000'), 'clipped to when it ended');
    assert.deepEqual(iaPal.spans, [
      { from: z('00:55:00.000'), to: z('01:40:00.000') },
      { from: z('01:45:00.000'), to: z('03:05:00.000') },
    ]);
    assert.deepEqual(
      // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
      iaPal.dialAttempts.map((d: any) => [d.attempt, d.outcome, d.sipStatus, d.startedAt, d.endedAt]),
      [
        [1, 'busy', 486, z('00:55:00.000'), z('00:55:20.000')],
        [2, 'busy', 486, z('00:56:00.000'), z('00:56:20.000')],
        [3, 'answered', 200, z('00:57:00.000'), z('00:57:20.000')],
      ],
    );
    assert.deepEqual(iaPal.readiness, { reachable: true, latencyMs: 12, checkedAt: z('00:45:00.000') }, 'the latest check');
    const dun = r.sites.find((s: { site: { code: string } }) => s.site.code === 'dun');
    assert.equal(dun.firstJoinedAt, null);
    assert.equal(dun.readiness, null);
    assert.deepEqual(
      // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
      r.guests.map((g: any) => [g.name, g.connectedSeconds, g.reconnects, g.lastLeftAt]),
      [
        ['=1+2', 60, 0, z('01:01:00.000')],
        ['Nguyễn Văn An', 2400, 1, z('01:50:00.000')], // the open call counted to its last heartbeat
      ],
    );
    assert.deepEqual(r.summary, { invited: 4, attended: 2, absent: 2 });
    const presentation = (name: string, siteId: string | null, protocol: string, from: string, to: string | null, endReason: string | null) => ({
      participantId: null,
      name,
      siteId,
      protocol,
      startedAt: z(from),
      endedAt: to && z(to),
      durationMs: 900_000,
      endReason,
    });
    assert.deepEqual(r.presentations, [
      presentation(BO_NGOONG, site['bo-ngoong']!, 'sip', '01:10:00.000', '01:25:00.000', 'taken-over'),
      presentation('Xã Ia Pal', site['ia-pal']!, 'sip', '01:25:00.000', '01:40:00.000', 'released'),
      // Still open: counted to the meeting's end (10:05), not to now.
      presentation('Nguyễn Văn An', null, 'webrtc', '02:50:00.000', null, null),
    ]);
    assert.equal(r.meeting.roomNumber, 2001);
    assert.equal(r.generatedAt, '2026-03-02T05:00:00.000Z');
  });

  it('counts an open call up to now while the meeting is live', async () => {
    const [m] = await api.ds.query(
      `INSERT INTO meeting (title, room_number, starts_at, ends_at, status, went_live_at)
       VALUES ('Họp đột xuất', 2002, $1, $2, 'live', $1) RETURNING id`,
      [z('04:30:00'), z('06:00:00')],
    );
    await api.ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [m.id, site['ia-pal']]);
    await api.ds.query(
      `INSERT INTO participation (meeting_id, site_id, display_name, call_id, source, protocol, direction, joined_at, last_seen_at)
       VALUES ($1, $2, 'Xã Ia Pal', 'c1', '192.0.2.1', 'sip', 'in', $3, $4)`,
      [m.id, site['ia-pal'], z('04:40:00'), z('04:59:50')],
    );
    const [s] = (await api.get(`/meetings/${m.id}/attendance`)).body.sites;
    assert.deepEqual([s.connectedSeconds, s.connectedNow, s.lastLeftAt, s.spans], [1200, true, null, [{ from: z('04:40:00.000'), to: null }]]);
    api.now = new Date('2026-03-02T05:00:30Z');
    assert.equal((await api.get(`/meetings/${m.id}/attendance`)).body.sites[0].connectedSeconds, 1230);
  });

  it('answers a CSV for Excel: BOM, CRLF, RFC 4180 quoting, local times', async () => {
    const res = await api.get(`/meetings/${meetingId}/attendance`, { accept: 'text/csv' });
    assert.equal(res.status, 200);
    assert.equal(res.type, 'text/csv; charset=utf-8');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="attendance-2001-2026-03-02.csv"');
    assert.deepEqual([...res.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
    const expected = [
      'kind,site_code,site_name,invited,attended,first_joined,last_left,connected_minutes,reconnects,dial_attempts,readiness',
      'site,chu-se,Thị trấn Chư Sê,no,yes,2026-03-02T09:00:00+07:00,2026-03-02T09:30:00+07:00,30.0,0,,',
      'site,bo-ngoong,"Xã Bờ Ngoong, ""Thôn 3""",yes,yes,2026-03-02T08:00:00+07:00,2026-03-02T09:20:00+07:00,70.0,1,,reachable',
      'site,dun,Xã Dun,yes,no,,,0.0,0,,',
      'site,ia-ko,Xã Ia Ko,yes,no,,,0.0,0,"2: no-answer, unreachable",unreachable',
      'site,ia-pal,Xã Ia Pal,yes,yes,2026-03-02T07:55:00+07:00,2026-03-02T10:05:00+07:00,125.0,1,"3: busy, busy, answered",reachable 12 ms',
      "guest,,'=1+2,no,yes,2026-03-02T08:00:00+07:00,2026-03-02T08:01:00+07:00,1.0,0,,",
      'guest,,Nguyễn Văn An,no,yes,2026-03-02T08:05:00+07:00,2026-03-02T08:50:00+07:00,40.0,1,,',
      '',
      'kind,site_code,name,protocol,started,ended,minutes,end_reason',
      'presentation,bo-ngoong,"Xã Bờ Ngoong, ""Thôn 3""",sip,2026-03-02T08:10:00+07:00,2026-03-02T08:25:00+07:00,15.0,taken-over',
      'presentation,ia-pal,Xã Ia Pal,sip,2026-03-02T08:25:00+07:00,2026-03-02T08:40:00+07:00,15.0,released',
      'presentation,,Nguyễn Văn An,webrtc,2026-03-02T09:50:00+07:00,,15.0,',
    ];
    assert.ok(res.bytes.equals(Buffer.from(`\uFEFF${expected.map((l) => `${l}\r\n`).join('')}`, 'utf8')), res.bytes.toString('utf8'));
    assert.ok(res.bytes.includes(Buffer.from([0x58, 0xc3, 0xa3, 0x20, 0x42, 0xe1, 0xbb, 0x9d])), '"Xã Bờ" in composed UTF-8');
  });

  it('negotiates the format from Accept, and ?format overrides it', async () => {
    const path = `/meetings/${meetingId}/attendance`;
    const typeOf = async (accept?: string, query = '') => (await api.get(path + query, accept ? { accept } : {})).type.split(';')[0];
    assert.equal(await typeOf(), 'application/json');
    assert.equal(await typeOf('*/*'), 'application/json');
    assert.equal(await typeOf('application/json, text/csv'), 'application/json');
    assert.equal(await typeOf('text/csv, application/json;q=0.5'), 'text/csv');
    assert.equal(await typeOf('application/json', '?format=csv'), 'text/csv');
    assert.equal(await typeOf('text/csv', '?format=json'), 'application/json');
    assert.equal((await api.get(`${path}?format=xml`)).status, 422);
    assert.equal((await api.get(path)).headers.get('vary'), 'Accept');
  });

  it('answers 404 for an unknown meeting, 401 without a key, and lets a viewer read it', async () => {
    for (const id of ['6f1c1f8e-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await api.get(`/meetings/${id}/attendance`);
      assert.equal(res.status, 404);
      assert.equal(res.type, 'application/problem+json');
      assert.match(res.body.detail, /meeting .* does not exist/);
    }
    assert.equal((await api.get(`/meetings/${meetingId}/attendance`, { key: null })).status, 401);
    const asViewer = await api.get(`/meetings/${meetingId}/attendance`, { key: api.tokens.viewer, accept: 'text/csv' });
    assert.equal(asViewer.status, 200);
  });

  it('is documented in openapi.json with its output schema', () => {
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
    const doc = openApiDocument([{ prefix: '/api/v1', routes: [attendanceRoute({ ds: api.ds, timeZone: 'UTC' })] }], 'test') as any;
    const op = doc.paths['/api/v1/meetings/{id}/attendance'].get;
    assert.equal(op['x-permission'], 'read');
    assert.deepEqual(op.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/Attendance' });
    assert.ok(doc.components.schemas.Attendance.properties.sites);
    assert.deepEqual(
      op.parameters.map((p: { name: string }) => p.name),
      ['id', 'format'],
    );
  });
});
