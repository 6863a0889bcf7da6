import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { axeViolations, ConsoleFixture, LAPTOP, overflow, PHONE, screenshot } from './console-fixture';

/** Every letter of the Vietnamese alphabet with its tones, lower and upper case. */
const VIETNAMESE_LETTERS = (() => {
  const lower = 'aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ';
  return lower + lower.toUpperCase();
})();

/** Bundled JavaScript the whole console may weigh, gzipped (offline commune links are slow). */
const MAX_CONSOLE_JS_GZIP = 150 * 1024;

/**
 * The operator console as built and served: its bundle and headers, then the page in Chromium.
 * Sign-in itself is the session API's (test/api); here, what a clerk sees.
 */
describe('operator console', function () {
  this.timeout(60_000);
  const fixture = new ConsoleFixture();

  before(() => fixture.serve());
  after(() => fixture.teardown());

  it(`weighs under ${MAX_CONSOLE_JS_GZIP / 1024} KB of JavaScript gzipped, everything bundled (no CDN, no outside fonts)`, async () => {
    const { built } = fixture;
    const js = await readFile(join(built.outDir, 'assets', built.js));
    assert.ok(gzipSync(js).length < MAX_CONSOLE_JS_GZIP, `${gzipSync(js).length} bytes gzipped`);
    const html = await readFile(join(built.outDir, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /https?:\/\//, 'the page loads nothing from elsewhere');
    assert.doesNotMatch(await readFile(join(built.outDir, 'assets', built.css), 'utf8'), /@import|url\(\s*["']?https?:/);
  });

  it('is served at /console with a policy that allows this origin only, its assets cached for good', async () => {
    const { api, built } = fixture;
    const page = await api.request('GET', '/console', { key: null });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(page.text, new RegExp(built.js.replace(/[.-]/g, '\\$&')));
    const asset = await api.request('GET', `/console/assets/${built.js}`, { key: null, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await api.request('GET', '/console/assets/..%2Fpackage.json', { key: null })).status, 404);
  });

  describe('in Chromium', () => {
    before(async function () {
      await fixture.launch(this, 'operator console in Chromium');
    });

    it('asks a signed-out clerk to sign in, in Vietnamese first and in English, with labelled fields', async () => {
      const context = await fixture.browser.newContext({ viewport: LAPTOP });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${fixture.api.base}/console`);
      await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
      assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
      // Every field is reachable by its label, and the keyboard goes username → password → button.
      await page.getByLabel('Tên đăng nhập').focus();
      await page.keyboard.type('van-thu');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate<string>('document.activeElement?.id'), 'password');
      await screenshot(page, 'console-sign-in-vi');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await screenshot(page, 'console-sign-in-en');
      assert.deepEqual(errors, []);
      await context.close();
    });

    it('draws every Vietnamese letter with a local font (no empty boxes), in the font the page uses', async () => {
      const context = await fixture.browser.newContext({ viewport: LAPTOP });
      const page = await context.newPage();
      await page.goto(`${fixture.api.base}/console`);
      await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
      // A letter no font has is drawn as the "missing glyph" box: compare each letter's pixels with that box's.
      const missing = await page.evaluate<string[]>(`(() => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 48;
        const g = canvas.getContext('2d');
        g.font = '32px ' + getComputedStyle(document.body).fontFamily;
        const draw = (text) => {
          g.clearRect(0, 0, 48, 48);
          g.fillText(text, 4, 36);
          return Array.from(g.getImageData(0, 0, 48, 48).data).join();
        };
        const box = draw('\\u{10FFFD}');
        return [...${JSON.stringify(VIETNAMESE_LETTERS)}].filter((c) => draw(c) === box);
      })()`);
      assert.deepEqual(missing, []);
      await context.close();
    });

    for (const viewport of [LAPTOP, PHONE]) {
      it(`the sign-in page on a ${viewport.width} px screen: no serious or critical axe-core violation, nothing wider than the screen`, async () => {
        // axe is injected as a script of the test's own: the page's policy rightly refuses it otherwise.
        const context = await fixture.browser.newContext({ viewport, bypassCSP: true });
        const page = await context.newPage();
        await page.goto(`${fixture.api.base}/console`);
        for (const language of ['vi', 'en']) {
          await page.getByRole('heading', { name: language === 'vi' ? 'Đăng nhập' : 'Sign in' }).waitFor();
          assert.deepEqual(await axeViolations(page), [], `${language}: accessibility violations`);
          assert.equal(await overflow(page), 0, `${language}: wider than the screen`);
          await screenshot(page, `console-sign-in-${viewport.width}-${language}`);
          if (language === 'vi') await page.getByRole('button', { name: 'English' }).click();
        }
        await context.close();
      });
    }

    it("signs a clerk in (a wrong password says so and keeps nothing), shows today's meetings, and signs out", async () => {
      const { api, browser } = fixture;
      const created = await api.request('POST', '/api/v1/operators', {
        json: { username: 'van-thu', name: 'Nguyễn Thị Văn Thư', role: 'operator', password: 'mat-khau-van-thu-2026' },
      });
      assert.equal(created.status, 201, created.text);
      const start = new Date(Date.now() - 10 * 60_000);
      const booked = await api.request('POST', '/api/v1/meetings', {
        json: {
          title: 'Giao ban trực tuyến tháng 12',
          roomNumber: 2010,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        },
      });
      assert.equal(booked.status, 201, booked.text);
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await context.newPage();
      await page.goto(`${api.base}/console`);
      await page.getByLabel('Tên đăng nhập').fill('van-thu');
      await page.getByLabel('Mật khẩu').fill('sai-mat-khau');
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.getByRole('alert').filter({ hasText: 'Tên đăng nhập hoặc mật khẩu không đúng.' }).waitFor();
      assert.equal(await page.getByLabel('Mật khẩu').inputValue(), '', 'the wrong password is cleared');
      await page.getByLabel('Mật khẩu').fill('mat-khau-van-thu-2026');
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.getByText('Nguyễn Thị Văn Thư (Điều hành viên)').waitFor();
      await page.getByRole('heading', { name: 'Sắp diễn ra' }).waitFor();
      await page.getByText('Giao ban trực tuyến tháng 12').waitFor();
      // The session cookie is the browser's alone: the page's script cannot read it.
      assert.equal(await page.evaluate<string>('document.cookie'), '');
      await screenshot(page, 'console-today');
      // A reload keeps the session (the cookie), and the CSRF token comes back with it: sign-out, a write, works.
      await page.reload();
      await page.getByRole('button', { name: 'Đăng xuất' }).click();
      await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
      assert.equal((await context.request.get(`${api.base}/api/v1/session`)).status(), 401);
      await context.close();
    });
  });
});
