import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { ConsoleFixture, screenshot } from './console-fixture';

/** A fresh browser signed in through the console's own form. */
async function signInByForm(browser: Browser, base: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${base}/console`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
  return page;
}

/** A request from the page's own origin, with its session cookie, with or without the CSRF token. */
function pageFetch(page: Page, method: string, path: string, options: { csrf: boolean; json?: unknown }) {
  return page.evaluate(
    async ({ method, path, csrf, json }) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (csrf) headers['X-CSRF-Token'] = ((await (await fetch('/api/v1/session')).json()) as { csrfToken: string }).csrfToken;
      const res = await fetch(path, { method, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        body: (res.status === 204 ? null : await res.json()) as { detail?: string } | null,
      };
    },
    { method, path, csrf: options.csrf, json: options.json },
  );
}

/** A page on another origin (another loopback port) whose script tries to end a meeting with the visitor's session. */
function attackerPage(target: string): string {
  return `<!doctype html><html lang="en"><head><title>Quà tặng</title></head><body>
<iframe name="sink" title="sink"></iframe>
<form id="f" method="POST" action="${target}" target="sink"></form>
<script>
  Promise.allSettled([
    fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include' }),
    fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guess' }, body: '{}' }),
  ]).then((r) => { window.fetchesDone = r.map((x) => x.status).join(','); document.getElementById('f').submit(); });
</script></body></html>`;
}

describe('operator console: the admin page and account security, in Chromium', function () {
  this.timeout(180_000);
  const fixture = new ConsoleFixture();
  const PASSWORD = 'mật khẩu ban đầu 2026';

  before(async function () {
    await fixture.setup(this, 'the console admin page in Chromium');
  });
  after(() => fixture.teardown());

  it('issues an API key whose token is shown once, and revokes it: the token is then refused', async () => {
    const { context, page, errors } = await fixture.signedIn('admin', 'admin/keys');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fixture.api.base });
    await page.getByLabel('Tên').fill('Máy chủ báo cáo');
    await page.getByLabel('Vai trò').selectOption('viewer');
    await page.getByRole('button', { name: 'Cấp khóa' }).click();
    const shown = page.locator('code.token');
    const token = (await shown.textContent()) ?? '';
    assert.match(token, /^dck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    await page.getByText('đây là lần duy nhất nó được hiển thị').waitFor();
    await page.getByRole('button', { name: 'Chép khóa' }).click();
    await page.getByRole('status').filter({ hasText: 'Đã chép vào bộ nhớ tạm.' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), token);
    await screenshot(page, 'console-admin-key-issued');
    assert.equal((await fixture.api.request('GET', '/api/v1/sites', { key: token })).status, 200, 'the token works');

    await page.getByRole('button', { name: 'Tôi đã chép, đóng lại' }).click();
    await page.reload();
    const row = page.getByRole('row').filter({ hasText: 'Máy chủ báo cáo' });
    await row.waitFor();
    assert.ok(!(await page.content()).includes(token.slice('dck_123456789abc_'.length)), 'the secret is not shown again');
    assert.match((await row.textContent()) ?? '', /Người xem/);

    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Thu hồi: Máy chủ báo cáo' }).click();
    await row.getByText(/Đã thu hồi/).waitFor();
    assert.equal((await fixture.api.request('GET', '/api/v1/sites', { key: token })).status, 401, 'a revoked token is refused');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('creates an account whose owner signs in elsewhere; disabling it ends their session; the audit log shows what they did', async () => {
    const { context, page, errors } = await fixture.signedIn('admin', 'admin/operators');
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Tạo tài khoản' }) });
    await form.getByLabel('Tên đăng nhập').fill('tran-binh');
    await form.getByLabel('Tên', { exact: true }).fill('Trần Văn Bình');
    await form.getByLabel('Vai trò').selectOption('operator');
    await form.getByLabel('Mật khẩu ban đầu').fill(PASSWORD);
    await form.getByRole('button', { name: 'Tạo' }).click();
    const row = page.getByRole('row').filter({ hasText: 'tran-binh' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Trần Văn Bình.*Điều hành viên.*Đang hoạt động/);

    // Bình signs in in a browser of his own, and books a meeting.
    const binh = await signInByForm(fixture.browser, fixture.api.base, 'tran-binh', PASSWORD);
    await binh.getByRole('link', { name: /Trần Văn Bình \(Điều hành viên\)/ }).waitFor();
    assert.equal(await binh.getByRole('link', { name: 'Quản trị', exact: true }).count(), 0, 'an operator has no Admin link');
    await binh.goto(`${fixture.api.base}/console#admin`);
    await binh.getByRole('alert').filter({ hasText: 'Chỉ quản trị viên mới xem được trang này.' }).waitFor();
    const starts = new Date(Date.now() + 86_400_000);
    const booked = await pageFetch(binh, 'POST', '/api/v1/meetings', {
      csrf: true,
      json: { title: 'Họp của anh Bình', roomNumber: 2050, startsAt: starts.toISOString(), endsAt: new Date(starts.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));

    // The admin disables the account: Bình's session stops working at once.
    await row.getByRole('button', { name: 'Khóa: tran-binh' }).click();
    await row.getByText('Đã khóa').waitFor();
    assert.equal((await pageFetch(binh, 'GET', '/api/v1/session', { csrf: false })).status, 401);
    await binh.reload();
    await binh.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    await binh.context().close();

    // A change the API refuses is shown with its reason: an account that acted cannot be deleted.
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Xóa: tran-binh' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /has acted/ })
      .waitFor();
    await screenshot(page, 'console-admin-operators-refused');

    // The audit log, narrowed to Bình: his sign-in and his booking, under his name, nobody else's.
    await page.getByRole('link', { name: 'Nhật ký thao tác' }).click();
    await page.getByLabel('Người thao tác').selectOption({ label: 'Trần Văn Bình (tran-binh)' });
    await page.getByRole('cell', { name: 'meeting.create' }).waitFor();
    const rows = page.locator('table.audit tbody tr');
    const who = await rows.locator('td:nth-child(2)').allTextContents();
    assert.ok(who.length >= 2);
    assert.ok(
      who.every((w) => w === 'operator:tran-binh (Trần Văn Bình)'),
      who.join(' | '),
    );
    const what = await rows.locator('td:nth-child(3)').allTextContents();
    assert.deepEqual(what.slice(0, 2), ['meeting.create', 'session.start']);
    assert.match((await rows.first().locator('td:nth-child(4)').textContent()) ?? '', /Họp của anh Bình/);
    await screenshot(page, 'console-admin-audit-person');
    // …and narrowed to the meeting as well.
    const meeting = page.getByLabel('Cuộc họp');
    await meeting.selectOption((await meeting.locator('option', { hasText: 'Họp của anh Bình' }).getAttribute('value')) ?? '');
    await page.getByText('1–1 trên 1').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('changes a password on the account page: errors inline, then the new one signs in and the old one does not', async () => {
    assert.equal(
      (await fixture.api.request('POST', '/api/v1/operators', { json: { username: 'doi-mk', name: 'Lê Thị Hoa', role: 'viewer', password: PASSWORD } })).status,
      201,
    );
    const page = await signInByForm(fixture.browser, fixture.api.base, 'doi-mk', PASSWORD);
    assert.equal(await page.getByRole('link', { name: 'Quản trị', exact: true }).count(), 0, 'a viewer has no Admin link');
    await page.getByRole('link', { name: /Lê Thị Hoa/ }).click();
    await page.getByRole('heading', { name: 'Đổi mật khẩu' }).waitFor();
    const current = page.getByLabel('Mật khẩu hiện tại');
    const next = page.getByLabel('Mật khẩu mới (ít nhất 10 ký tự)');
    const repeat = page.getByLabel('Nhập lại mật khẩu mới');
    const submit = page.getByRole('button', { name: 'Đổi mật khẩu' });

    await current.fill(PASSWORD);
    await next.fill('mật khẩu mới toanh');
    await repeat.fill('mật khẩu mới khác');
    await submit.click();
    await page.getByText('Hai lần nhập mật khẩu mới không khớp nhau.').waitFor();
    assert.equal(await repeat.getAttribute('aria-invalid'), 'true');

    await current.fill('không phải mật khẩu');
    await repeat.fill('mật khẩu mới toanh');
    await submit.click();
    await page.getByText('Mật khẩu hiện tại không đúng.').waitFor();
    assert.equal(await current.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'console-account-password-error');

    await current.fill(PASSWORD);
    await submit.click();
    await page.getByRole('status').filter({ hasText: 'Đã đổi mật khẩu.' }).waitFor();
    const signIn = (password: string) => fixture.api.request('POST', '/api/v1/session', { key: null, json: { username: 'doi-mk', password } });
    assert.equal((await signIn('mật khẩu mới toanh')).status, 201);
    assert.equal((await signIn(PASSWORD)).status, 401);
    assert.equal((await pageFetch(page, 'GET', '/api/v1/session', { csrf: false })).status, 200, 'the session it was changed from stays');
    await page.context().close();
  });

  it('refuses a forged change: from a page on another origin, and from its own origin without the CSRF token', async () => {
    const start = new Date(Date.now() - 10 * 60_000);
    const booked = await fixture.api.request('POST', '/api/v1/meetings', {
      json: { title: 'Họp đang diễn ra', roomNumber: 2060, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.status, 201, booked.text);
    const meetingId: string = booked.body.id;
    await fixture.api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [meetingId]);
    const status = async () => (await fixture.api.request('GET', `/api/v1/meetings/${meetingId}`)).body.status;
    const target = `${fixture.api.base}/api/v1/meetings/${meetingId}/end`;

    // The attacker's page: same host, another port (so the browser still sends the SameSite cookie).
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(attackerPage(target));
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const { context, page } = await fixture.signedIn('operator', 'today');
      const answers: { method: string; status: number; cookie: boolean }[] = [];
      page.on('response', async (res) => {
        if (res.url() === target)
          answers.push({
            method: res.request().method(),
            status: res.status(),
            cookie: /diemcau_session=/.test((await res.request().allHeaders())['cookie'] ?? ''),
          });
      });
      const formAnswer = page.waitForResponse((res) => res.url() === target && res.request().resourceType() === 'document');
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForFunction('window.fetchesDone');
      await formAnswer;
      assert.equal(await page.evaluate('window.fetchesDone'), 'fulfilled,rejected', 'the CORS request never left its preflight');
      // Each answer is recorded after an await of its own (its request headers): wait for both, not for a fixed time.
      for (const deadline = Date.now() + 10_000; answers.filter((a) => a.method === 'POST').length < 2 && Date.now() < deadline; )
        await page.waitForTimeout(50);
      const posts = answers.filter((a) => a.method === 'POST');
      assert.equal(posts.length, 2, JSON.stringify(answers));
      assert.ok(
        posts.every((a) => a.status === 403),
        JSON.stringify(answers),
      );
      assert.ok(
        posts.some((a) => a.cookie),
        'the browser did send the session cookie: the refusal is the server\u2019s',
      );
      await screenshot(page, 'console-csrf-attacker-page');
      assert.equal(await status(), 'live', 'the meeting was not ended');

      // The console's own origin, the session cookie, but no X-CSRF-Token: refused as a problem.
      await page.goto(`${fixture.api.base}/console#today`);
      await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
      const bare = await pageFetch(page, 'POST', `/api/v1/meetings/${meetingId}/end`, { csrf: false });
      assert.equal(bare.status, 403);
      assert.match(bare.type, /^application\/problem\+json/);
      assert.match(bare.body?.detail ?? '', /X-CSRF-Token/);
      assert.equal(await status(), 'live');
      // With the token the same request works: the refusals above were the CSRF checks, nothing else.
      assert.equal((await pageFetch(page, 'POST', `/api/v1/meetings/${meetingId}/end`, { csrf: true })).status, 204);
      assert.equal(await status(), 'ended');
      await context.close();
    } finally {
      // Chromium keeps its connection to the page open: without this, a failed assertion above would
      // wait here for the test's timeout instead of being reported.
      evil.closeAllConnections();
      await new Promise<void>((r) => evil.close(() => r()));
    }
  });

  it('shows Admin to admins only: a viewer reaching the address is told so', async () => {
    const { context, page } = await fixture.signedIn('viewer', 'admin/audit');
    await page.getByRole('alert').filter({ hasText: 'Chỉ quản trị viên mới xem được trang này.' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Quản trị', exact: true }).count(), 0);
    assert.equal(await page.locator('table').count(), 0);
    await screenshot(page, 'console-admin-viewer-refused');
    await context.close();
    const admin = await fixture.signedIn('admin', 'today');
    await admin.page.getByRole('link', { name: 'Quản trị', exact: true }).click();
    await admin.page.getByRole('heading', { name: 'Quản trị hệ thống' }).waitFor();
    await admin.context.close();
  });
});
