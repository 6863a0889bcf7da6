import assert from 'node:assert/strict';
import type { Role } from '../../src/access/api-key.entity';
import { type Reply, TestApi } from '../support/api';

/** A browser's view of one console session: its cookie and its CSRF token. */
interface Browser {
  cookie: string;
  csrf: string;
  reply: Reply;
}

const PASSWORD = 'mật khẩu đủ dài';

async function signIn(api: TestApi, username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Browser> {
  const reply = await api.request('POST', '/api/v1/session', { key: null, json: { username, password }, headers });
  const cookie = /^(diemcau_session=[^;]*)/.exec(reply.headers.get('set-cookie') ?? '')?.[1] ?? '';
  return { cookie, csrf: reply.body?.csrfToken ?? '', reply };
}

/** A request as the console sends it: the cookie, and the CSRF token unless told otherwise. */
function asBrowser(
  api: TestApi,
  b: Browser,
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string>; csrf?: string | null } = {},
) {
  const csrf = options.csrf === undefined ? b.csrf : options.csrf;
  return api.request(method, path, {
    key: null,
    ...(options.json !== undefined ? { json: options.json } : {}),
    headers: { cookie: b.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}), ...options.headers },
  });
}

async function createOperator(api: TestApi, username: string, role: Role, name = `Người ${username}`): Promise<string> {
  const res = await api.request('POST', '/api/v1/operators', { json: { username, name, role, password: PASSWORD } });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** The `n`th meeting booked here: a room and a day of its own. */
const meeting = (n: number) => ({
  title: 'Giao ban tuần',
  roomNumber: 2000 + n,
  startsAt: new Date(Date.now() + 86_400_000 * n).toISOString(),
  endsAt: new Date(Date.now() + 86_400_000 * n + 3_600_000).toISOString(),
});

describe('API: operator accounts and console sessions', function () {
  this.timeout(60_000);
  let api: TestApi;
  before(async () => {
    api = await TestApi.start();
  });
  after(async () => api?.close());

  it('creates accounts for admins only and never shows a password hash', async () => {
    const id = await createOperator(api, 'Lan', 'operator', 'Nguyễn Thị Lan');
    const denied = await api.request('POST', '/api/v1/operators', {
      key: api.tokens.operator,
      json: { username: 'x1', name: 'X', role: 'viewer', password: PASSWORD },
    });
    assert.equal(denied.status, 403);
    const list = await api.request('GET', '/api/v1/operators');
    assert.equal(list.status, 200);
    const lan = list.body.items.find((o: { id: string }) => o.id === id);
    assert.deepEqual(Object.keys(lan).sort(), ['createdAt', 'enabled', 'id', 'lastSignInAt', 'name', 'role', 'updatedAt', 'username']);
    assert.equal(lan.username, 'lan', 'usernames are case-insensitive, kept in lower case');
    assert.ok(!/scrypt|password/i.test(list.text));
    const [row] = await api.ds.query('SELECT password_hash FROM operator WHERE id = $1', [id]);
    assert.match(row.password_hash, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/, 'parameters are stored with the hash');
    assert.ok(!row.password_hash.includes(PASSWORD));

    const duplicate = await api.request('POST', '/api/v1/operators', { json: { username: 'LAN', name: 'Lan khác', role: 'viewer', password: PASSWORD } });
    assert.equal(duplicate.status, 409);
    const short = await api.request('POST', '/api/v1/operators', { json: { username: 'ngan', name: 'Ngắn', role: 'viewer', password: 'short' } });
    assert.equal(short.status, 422);
    assert.equal(short.body.errors[0].field, 'password');
    const badName = await api.request('POST', '/api/v1/operators', { json: { username: 'có dấu', name: 'X', role: 'viewer', password: PASSWORD } });
    assert.equal(badName.status, 422);
  });

  it('signs in with a cookie that scripts and other sites never get, and signs out', async () => {
    const b = await signIn(api, 'LAN');
    assert.equal(b.reply.status, 201, b.reply.text);
    assert.equal(b.reply.body.operator.username, 'lan');
    assert.equal(b.reply.body.operator.name, 'Nguyễn Thị Lan');
    assert.equal(b.reply.body.operator.role, 'operator');
    assert.ok(Date.parse(b.reply.body.expiresAt) > Date.now());
    assert.equal(b.reply.body.timeZone, 'Asia/Ho_Chi_Minh', 'the console enters and shows times in the district\u2019s zone');
    const setCookie = b.reply.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^diemcau_session=[A-Za-z0-9_-]{43}; /);
    const attributes = setCookie.split('; ').slice(1);
    assert.ok(attributes.includes('HttpOnly'));
    assert.ok(attributes.includes('SameSite=Strict'));
    assert.ok(attributes.includes('Path=/'));
    assert.ok(!attributes.includes('Secure'), 'not over plain HTTP');
    assert.ok(!JSON.stringify(b.reply.body).includes(b.cookie.split('=')[1]!), 'the token is in the cookie only');
    const [row] = await api.ds.query('SELECT token_hash FROM operator_session');
    assert.notEqual(row.token_hash, b.cookie.split('=')[1], 'only a hash of the token is stored');

    const me = await asBrowser(api, b, 'GET', '/api/v1/session', { csrf: null });
    assert.equal(me.status, 200);
    assert.equal(me.body.csrfToken, b.csrf);
    assert.equal((await asBrowser(api, b, 'GET', '/api/v1/meetings', { csrf: null })).status, 200, 'every route takes the cookie');
    const ops = await api.request('GET', '/api/v1/operators');
    assert.ok(ops.body.items.find((o: { username: string }) => o.username === 'lan').lastSignInAt);

    assert.equal((await asBrowser(api, b, 'DELETE', '/api/v1/session', { csrf: null })).status, 403, 'signing out needs the token too');
    const out = await asBrowser(api, b, 'DELETE', '/api/v1/session');
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^diemcau_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    const after = await asBrowser(api, b, 'GET', '/api/v1/session');
    assert.equal(after.status, 401);
    assert.match(after.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((await api.request('GET', '/api/v1/session')).status, 401, 'an API key has no session');
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const timed = async (username: string, password: string) => {
      const started = process.hrtime.bigint();
      const reply = await api.request('POST', '/api/v1/session', { key: null, json: { username, password } });
      return { reply, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    // Warm up the dummy hash, so that what follows compares steady states.
    await timed('nobody-here', 'whatever it is');
    const wrong = await timed('lan', 'not the password');
    const unknown = await timed('nobody-here', 'not the password');
    for (const { reply } of [wrong, unknown]) {
      assert.equal(reply.status, 401);
      assert.equal(reply.body.detail, 'the username or password is wrong');
      assert.equal(reply.headers.get('set-cookie'), null);
    }
    assert.deepEqual(wrong.reply.body, unknown.reply.body);
    // An unknown user costs an scrypt too (a loose bound: the machine is shared).
    assert.ok(unknown.ms > wrong.ms / 4, `unknown user ${unknown.ms} ms, wrong password ${wrong.ms} ms`);
    const fails = await api.request('GET', '/api/v1/audit-events?resourceType=operator&limit=500');
    const failed = fails.body.items.filter((e: { action: string }) => e.action === 'session.fail');
    assert.ok(failed.some((e: { detail: { username: string } }) => e.detail.username === 'nobody-here'));
    assert.ok(failed.some((e: { detail: { username: string }; resourceId: string | null }) => e.detail.username === 'lan' && e.resourceId));
  });

  it('refuses state changes with the cookie but without the CSRF token, or from another origin', async () => {
    await createOperator(api, 'hoa', 'operator', 'Trần Văn Hoà');
    const b = await signIn(api, 'hoa');
    assert.equal((await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(1), csrf: null })).status, 403);
    const wrong = await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(1), csrf: `${b.csrf.slice(0, -2)}AA` });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body.detail, /X-CSRF-Token/);
    const foreign = await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(1), headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    assert.equal((await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(1), headers: { origin: 'null' } })).status, 403);
    const own = await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(1), headers: { origin: api.base } });
    assert.equal(own.status, 201, own.text);
    assert.equal((await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(2) })).status, 201, 'no Origin: the token decides');
    assert.equal((await api.request('POST', '/api/v1/meetings', { key: api.tokens.operator, json: meeting(3) })).status, 201, 'a key needs no token');
    // A sign-in posted from another site is refused too (it would sign the victim in as the attacker).
    const forged = await signIn(api, 'hoa', PASSWORD, { origin: 'https://evil.example' });
    assert.equal(forged.reply.status, 403);
  });

  it('gives a session its account\u2019s role, and a role change takes effect at once', async () => {
    const viewerId = await createOperator(api, 'xem', 'viewer');
    const viewer = await signIn(api, 'xem');
    assert.equal((await asBrowser(api, viewer, 'GET', '/api/v1/sites')).status, 200);
    assert.equal((await asBrowser(api, viewer, 'POST', '/api/v1/meetings', { json: meeting(4) })).status, 403, 'a viewer cannot write');
    const operator = await signIn(api, 'hoa');
    assert.equal((await asBrowser(api, operator, 'GET', '/api/v1/operators')).status, 403, 'an operator cannot manage operators');
    assert.equal(
      (await asBrowser(api, operator, 'POST', '/api/v1/operators', { json: { username: 'y', name: 'Y', role: 'admin', password: PASSWORD } })).status,
      403,
    );
    await createOperator(api, 'quan-tri', 'admin', 'Lê Quản Trị');
    const admin = await signIn(api, 'quan-tri');
    const promoted = await asBrowser(api, admin, 'PATCH', `/api/v1/operators/${viewerId}`, { json: { role: 'operator' } });
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal((await asBrowser(api, viewer, 'POST', '/api/v1/meetings', { json: meeting(4) })).status, 201, 'the same session, the new role');
  });

  it('ends a disabled account\u2019s sessions, and its sign-ins fail like any other', async () => {
    const id = await createOperator(api, 'nghi-viec', 'operator');
    const b = await signIn(api, 'nghi-viec');
    assert.equal((await asBrowser(api, b, 'GET', '/api/v1/session')).status, 200);
    assert.equal((await api.request('PATCH', `/api/v1/operators/${id}`, { json: { enabled: false } })).status, 200);
    assert.equal((await asBrowser(api, b, 'GET', '/api/v1/session')).status, 401);
    const again = await signIn(api, 'nghi-viec');
    assert.equal(again.reply.status, 401);
    assert.equal(again.reply.body.detail, 'the username or password is wrong');
    // An account that has acted stays, disabled; one that never did may go.
    assert.equal((await api.request('DELETE', `/api/v1/operators/${id}`)).status, 409);
    const unused = await createOperator(api, 'chua-dung', 'viewer');
    assert.equal((await api.request('DELETE', `/api/v1/operators/${unused}`)).status, 204);
    assert.equal((await api.request('GET', `/api/v1/operators/${unused}`)).status, 404);
  });

  it('ends every session of an account whose password an admin resets', async () => {
    const id = await createOperator(api, 'quen-mk', 'viewer');
    const one = await signIn(api, 'quen-mk');
    const two = await signIn(api, 'quen-mk');
    const reset = await api.request('PATCH', `/api/v1/operators/${id}`, { json: { password: 'mật khẩu cấp lại' } });
    assert.equal(reset.status, 200, reset.text);
    for (const b of [one, two]) assert.equal((await asBrowser(api, b, 'GET', '/api/v1/session')).status, 401);
    assert.equal((await signIn(api, 'quen-mk', 'mật khẩu cấp lại')).reply.status, 201);
  });

  it('changes a password: the old one stops working, and other sessions end', async () => {
    await createOperator(api, 'doi-mk', 'operator');
    const here = await signIn(api, 'doi-mk');
    const there = await signIn(api, 'doi-mk');
    const wrong = await asBrowser(api, here, 'POST', '/api/v1/session/password', {
      json: { currentPassword: 'not it at all', newPassword: 'mật khẩu mới dài' },
    });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.errors[0].field, 'currentPassword');
    const weak = await asBrowser(api, here, 'POST', '/api/v1/session/password', { json: { currentPassword: PASSWORD, newPassword: 'short' } });
    assert.equal(weak.status, 422);
    assert.equal(weak.body.errors[0].field, 'newPassword');
    const changed = await asBrowser(api, here, 'POST', '/api/v1/session/password', { json: { currentPassword: PASSWORD, newPassword: 'mật khẩu mới dài' } });
    assert.equal(changed.status, 204, changed.text);
    assert.equal((await asBrowser(api, here, 'GET', '/api/v1/session')).status, 200, 'this session stays');
    assert.equal((await asBrowser(api, there, 'GET', '/api/v1/session')).status, 401, 'the other one ended');
    assert.equal((await signIn(api, 'doi-mk')).reply.status, 401);
    // The same password typed with combining diacritics (NFD) is the same password.
    assert.equal((await signIn(api, 'doi-mk', 'mật khẩu mới dài'.normalize('NFD'))).reply.status, 201);
    const key = await api.request('POST', '/api/v1/session/password', { key: api.tokens.admin, json: { currentPassword: PASSWORD, newPassword: PASSWORD } });
    assert.equal(key.status, 401, 'an API key has no password to change');
  });

  it('audits what a signed-in operator does under their name, filterable by operator', async () => {
    const id = (await api.request('GET', '/api/v1/operators')).body.items.find((o: { username: string }) => o.username === 'hoa').id;
    const b = await signIn(api, 'hoa');
    const created = await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: meeting(5) });
    assert.equal(created.status, 201);
    assert.equal((await asBrowser(api, b, 'DELETE', '/api/v1/session')).status, 204);

    const mine = await api.request('GET', `/api/v1/audit-events?operatorId=${id}`);
    assert.equal(mine.status, 200, mine.text);
    assert.ok(mine.body.items.every((e: { operatorId: string }) => e.operatorId === id));
    assert.ok(mine.body.items.every((e: { actor: string }) => e.actor === 'operator:hoa (Trần Văn Hoà)'));
    const actions = mine.body.items.map((e: { action: string }) => e.action);
    assert.deepEqual(actions.slice(0, 3), ['session.end', 'meeting.create', 'session.start']);
    const byActor = await api.request('GET', `/api/v1/audit-events?actor=${encodeURIComponent('operator:hoa (Trần Văn Hoà)')}`);
    assert.equal(byActor.body.total, mine.body.total);
    const passwords = await api.request('GET', '/api/v1/audit-events?resourceType=operator&limit=500');
    assert.ok(
      passwords.body.items.some(
        (e: { action: string; detail: { sessionsEnded?: number } }) => e.action === 'operator.password' && e.detail.sessionsEnded === 1,
      ),
    );
    assert.equal((await api.request('GET', '/api/v1/audit-events?operatorId=not-a-uuid')).status, 422);
  });

  it('filters the audit log by site and by meeting, and by person together with either', async () => {
    const site = await api.request('POST', '/api/v1/sites', {
      json: { code: 'ia-ka', name: 'Xã Ia Ka', protocol: 'sip', sipUsername: 'ia-ka', sipPassword: 'mat-khau-ia-ka' },
    });
    assert.equal(site.status, 201, site.text);
    assert.equal((await api.request('PATCH', `/api/v1/sites/${site.body.id}`, { json: { name: 'Xã Ia Ka (mới)' } })).status, 200);
    const b = await signIn(api, 'hoa');
    const booked = await asBrowser(api, b, 'POST', '/api/v1/meetings', { json: { ...meeting(6), invitedSites: ['ia-ka'] } });
    assert.equal(booked.status, 201, booked.text);
    assert.equal((await api.request('DELETE', `/api/v1/meetings/${booked.body.id}`)).status, 204);

    const bySite = await api.request('GET', `/api/v1/audit-events?siteId=${site.body.id}`);
    assert.equal(bySite.status, 200, bySite.text);
    assert.deepEqual(
      bySite.body.items.map((e: { action: string }) => e.action),
      ['site.update', 'site.create'],
    );
    const byMeeting = await api.request('GET', `/api/v1/audit-events?meetingId=${booked.body.id}`);
    assert.deepEqual(
      byMeeting.body.items.map((e: { action: string }) => e.action),
      ['meeting.cancel', 'meeting.create'],
    );
    const hoa = byMeeting.body.items[1].operatorId;
    const hers = await api.request('GET', `/api/v1/audit-events?meetingId=${booked.body.id}&operatorId=${hoa}`);
    assert.deepEqual(
      hers.body.items.map((e: { action: string }) => e.action),
      ['meeting.create'],
      'the cancel was an API key’s',
    );
    const both = await api.request('GET', `/api/v1/audit-events?meetingId=${booked.body.id}&siteId=${site.body.id}`);
    assert.equal(both.status, 422);
    assert.match(both.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });
});

describe('API: sign-in limits, proxies and session expiry', function () {
  this.timeout(60_000);

  it('shuts out an account from one address, and an address, after repeated failures (429 with Retry-After)', async () => {
    const api = await TestApi.start({ trustProxy: true });
    try {
      await createOperator(api, 'bi-do', 'admin');
      await createOperator(api, 'khac', 'viewer');
      // A stranger guessing the admin's password from one address…
      for (let i = 0; i < 5; i++) {
        assert.equal((await signIn(api, 'bi-do', 'wrong password!', { 'x-forwarded-for': '203.0.113.5' })).reply.status, 401);
      }
      const blocked = await signIn(api, 'bi-do', PASSWORD, { 'x-forwarded-for': '203.0.113.5' });
      assert.equal(blocked.reply.status, 429, 'even the right password waits, there');
      assert.ok(Number(blocked.reply.headers.get('retry-after')) > 0);
      assert.match(blocked.reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
      // …does not lock the admin out from the office.
      assert.equal((await signIn(api, 'bi-do', PASSWORD, { 'x-forwarded-for': '10.0.0.20' })).reply.status, 201, 'the admin elsewhere is not');
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '203.0.113.5' })).reply.status, 201, 'other accounts from there are not');

      // One address trying many names, unknown ones included: the address is shut out.
      for (let i = 0; i < 8; i++) await signIn(api, `guess-${i}`, 'wrong password!', { 'x-forwarded-for': '192.0.2.7' });
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '192.0.2.7' })).reply.status, 429);
      // The client's own X-Forwarded-For entries are not believed: the proxy's (last) one is.
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '192.0.2.7, 198.51.100.1' })).reply.status, 201);
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '198.51.100.1, 192.0.2.7' })).reply.status, 429);

      // An IPv6 machine holds a whole /64: its addresses count as one.
      for (let i = 1; i <= 8; i++) await signIn(api, `v6-${i}`, 'wrong password!', { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` });
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).reply.status, 429);
      assert.equal((await signIn(api, 'khac', PASSWORD, { 'x-forwarded-for': '2001:db8:1:3::1' })).reply.status, 201, 'the next /64 is another place');
    } finally {
      await api.close();
    }
  });

  it('counts sign-ins refused while shut out instead of writing a row for each', async () => {
    const api = await TestApi.start({ trustProxy: true });
    try {
      await createOperator(api, 'lan', 'operator');
      const rows = async () => (await api.ds.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'session.fail'`))[0].n as number;
      const from = { 'x-forwarded-for': '198.51.100.40' };
      for (let i = 0; i < 5; i++) assert.equal((await signIn(api, 'lan', 'wrong password!', from)).reply.status, 401);
      assert.equal(await rows(), 5);
      for (let i = 0; i < 50; i++) assert.equal((await signIn(api, 'lan', 'wrong password!', from)).reply.status, 429);
      assert.equal(await rows(), 5, 'fifty refusals, no new rows');
      // The next failure that is heard (here: from the same address, at another account) carries the count.
      assert.equal((await signIn(api, 'khong-co', 'wrong password!', from)).reply.status, 401);
      const [last] = (await api.request('GET', '/api/v1/audit-events?resourceType=operator&limit=1')).body.items;
      assert.equal(last.action, 'session.fail');
      assert.equal(last.detail.refusedWhileBlocked, 50);
      const blocking = (await api.request('GET', '/api/v1/audit-events?resourceType=operator&limit=500')).body.items.filter(
        (e: { detail: { blocked?: boolean } }) => e.detail.blocked,
      );
      assert.equal(blocking.length, 1, 'the failure that shut the account out says so');
    } finally {
      await api.close();
    }
  });

  it('never leaves the district without an enabled admin account (409), even when two admins race', async () => {
    const api = await TestApi.start();
    try {
      const a = await createOperator(api, 'admin-a', 'admin');
      const patch = (id: string, json: unknown) => api.request('PATCH', `/api/v1/operators/${id}`, { json });
      for (const change of [{ enabled: false }, { role: 'operator' }, { role: 'viewer', name: 'Đổi tên' }]) {
        const refused = await patch(a, change);
        assert.equal(refused.status, 409, JSON.stringify(change));
        assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.match(refused.body.detail, /last enabled admin/);
      }
      assert.equal((await api.request('DELETE', `/api/v1/operators/${a}`)).status, 409);
      assert.equal((await patch(a, { name: 'Quản trị A', role: 'admin', enabled: true })).status, 200, 'what keeps it an admin is allowed');
      assert.equal((await api.request('GET', `/api/v1/operators/${a}`)).body.name, 'Quản trị A');

      const b = await createOperator(api, 'admin-b', 'admin');
      assert.equal((await patch(a, { enabled: false })).status, 200, 'another admin remains');
      assert.equal((await patch(b, { role: 'operator' })).status, 409, 'a disabled admin does not count');
      assert.equal((await patch(a, { enabled: true })).status, 200);

      // Two admins demoting each other at the same moment: one wins, the other is told no.
      const [ab, ba] = await Promise.all([patch(b, { role: 'viewer' }), patch(a, { role: 'viewer' })]);
      assert.deepEqual([ab.status, ba.status].sort(), [200, 409], `${ab.text} ${ba.text}`);
      const admins = (await api.request('GET', '/api/v1/operators')).body.items.filter(
        (o: { role: string; enabled: boolean }) => o.role === 'admin' && o.enabled,
      );
      assert.equal(admins.length, 1);
    } finally {
      await api.close();
    }
  });

  it('marks the cookie Secure over HTTPS, believing X-Forwarded-Proto only from a trusted proxy', async () => {
    const direct = await TestApi.start();
    const proxied = await TestApi.start({ trustProxy: true });
    try {
      for (const api of [direct, proxied]) await createOperator(api, 'lan', 'viewer');
      const secure = async (api: TestApi, headers: Record<string, string>) => {
        const b = await signIn(api, 'lan', PASSWORD, headers);
        assert.equal(b.reply.status, 201, b.reply.text);
        return (b.reply.headers.get('set-cookie') ?? '').split('; ').includes('Secure');
      };
      assert.equal(await secure(direct, { 'x-forwarded-proto': 'https' }), false, 'anyone can send the header');
      assert.equal(await secure(proxied, {}), false);
      assert.equal(await secure(proxied, { 'x-forwarded-proto': 'https' }), true);
      // Behind the proxy the page's origin is https://its-host: that Origin is our own.
      const b = await signIn(proxied, 'lan', PASSWORD, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cau.example' });
      const out = await asBrowser(proxied, b, 'DELETE', '/api/v1/session', {
        headers: { origin: 'https://cau.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cau.example' },
      });
      assert.equal(out.status, 204, out.text);
      assert.ok((out.headers.get('set-cookie') ?? '').endsWith('; Secure'));
    } finally {
      await direct.close();
      await proxied.close();
    }
  });

  it('ends a session after the idle timeout and at its absolute end, and sweeps the rows', async () => {
    let now = Date.now();
    const minutes = (n: number) => {
      now += n * 60_000;
    };
    const api = await TestApi.start({ sessionClock: () => new Date(now), sessionPolicy: { idleMs: 30 * 60_000, maxMs: 120 * 60_000 } });
    try {
      await createOperator(api, 'lan', 'viewer');
      const idle = await signIn(api, 'lan');
      assert.equal(Date.parse(idle.reply.body.expiresAt), now + 30 * 60_000);
      assert.match(idle.reply.headers.get('set-cookie') ?? '', /Max-Age=7200;/, 'the browser forgets it at the absolute end');
      minutes(29);
      const seen = await asBrowser(api, idle, 'GET', '/api/v1/session');
      assert.equal(seen.status, 200);
      assert.equal(Date.parse(seen.body.expiresAt), now + 30 * 60_000, 'use pushes the idle end back');
      minutes(29);
      assert.equal((await asBrowser(api, idle, 'GET', '/api/v1/session')).status, 200);
      minutes(31);
      const ended = await asBrowser(api, idle, 'GET', '/api/v1/sites');
      assert.equal(ended.status, 401);
      assert.match(ended.headers.get('set-cookie') ?? '', /^diemcau_session=; /, 'and the cookie is cleared');

      const busy = await signIn(api, 'lan');
      const forgotten = await signIn(api, 'lan');
      for (let t = 0; t < 100; t += 20) {
        minutes(20);
        assert.equal((await asBrowser(api, busy, 'GET', '/api/v1/session')).status, 200, `${t + 20} min`);
      }
      assert.equal(Date.parse((await asBrowser(api, busy, 'GET', '/api/v1/session')).body.expiresAt), now + 20 * 60_000, 'the absolute end comes first');
      assert.equal(await api.accounts.sessions.sweep(), 1, 'the session nobody used again');
      minutes(20);
      assert.equal((await asBrowser(api, busy, 'GET', '/api/v1/session')).status, 401, 'two hours after sign-in, however busy');
      assert.equal((await asBrowser(api, forgotten, 'GET', '/api/v1/session')).status, 401);
      assert.deepEqual(await api.ds.query('SELECT id FROM operator_session'), []);
    } finally {
      await api.close();
    }
  });
});
