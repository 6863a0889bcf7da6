import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { bridgeJoinDeps, startBridgeApi } from '../support/bridge-api';
import { CHROMIUM, MEDIA_FLAGS, OUT, requireChromium } from './chromium';
import { requireRtpengine, startRtpengine, type TestRtpengine } from '../support/rtpengine';
import { requireStack, waitFor } from '../support/stack';

const SECRET = 'join-secret-for-the-site-login-test';
const SITE = { code: 'ia-pal', name: 'UBND xã Ia Pal', sipUsername: 'ia-pal', sipPassword: 'mat-khau-ia-pal' };

/**
 * A commune's site signs in on the join page with its directory SIP credentials, into a meeting
 * that admits invited sites only (and has a PIN, which an invited site skips): no join token, the
 * bridge's 407 answered by SIP.js, the site on the roster under its directory name as a WebRTC
 * participant; a wrong password is refused with the page's message; leaving cleans up everywhere.
 */
describe('site sign-in on the join page end to end (Chromium, drachtio-server, rtpengine, FreeSWITCH)', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let rtpengine: TestRtpengine;
  let browser: Browser;
  let web: WebBuildResult;
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let meetingId: string;
  let siteId: string;

  before(async function () {
    requireStack(this, 'site sign-in end to end');
    requireRtpengine(this, 'site sign-in end to end');
    requireChromium(this, 'site sign-in end to end');
    rtpengine = await startRtpengine();
    bridge = await startBridge({ env: { RTPENGINE_SERVERS: `${rtpengine.host}:${rtpengine.port}`, JOIN_TOKEN_SECRET: SECRET } });
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });

    siteId = (await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create({ ...SITE, protocol: 'sip', allowedNetworks: [], enabled: true }, cliActor)).id;
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        {
          title: 'Họp Ban Chỉ đạo huyện với các xã',
          roomNumber: 2001,
          pin: '2468',
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: [SITE.code],
          dialOut: false,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;
    http = await startBridgeApi(bridge, { extra: bridgeJoinDeps(bridge, SECRET, web.outDir) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--use-fake-ui-for-media-stream', ...MEDIA_FLAGS] });
    await mkdir(OUT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await http?.close();
    await bridge?.stop();
    await rtpengine?.stop();
    if (web) await rm(web.outDir, { recursive: true, force: true });
  });

  it('signs an invited site in with its SIP credentials, under its directory name, then cleans up on leaving', async () => {
    const context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const tokenRequests: string[] = [];
    page.on('request', (r) => r.url().includes('/token') && tokenRequests.push(r.url()));
    await page.goto(`${http.base}/join/2001`);
    await page.locator('#meeting-title').waitFor();
    const poll = <T>(what: string, expr: string, ok: (v: T) => boolean, ms = 30_000): Promise<T> =>
      waitFor(
        what,
        async () => {
          const v = (await page.evaluate(expr)) as T;
          return ok(v) ? v : undefined;
        },
        ms,
        250,
      );
    const bannerSays = (fragment: string) =>
      poll<string>(`the banner to say "${fragment}"`, `document.getElementById('banner-text').textContent`, (t) => t.includes(fragment), 15_000);

    // Guests are not admitted, so the page points the site to its own way in.
    await bannerSays('Điểm cầu được mời hãy chọn “Tài khoản điểm cầu” để đăng nhập.');
    await page.check('#mode-site');
    await page.fill('#username', SITE.sipUsername);
    await page.fill('#password', 'mat-khau-cu');
    await page.screenshot({ path: join(OUT, 'e2e-site-login.png'), fullPage: true });
    await page.click('#join');
    await bannerSays('Không vào được cuộc họp: điểm cầu này không được mời, hoặc tên đăng nhập hay mật khẩu SIP không đúng.');
    assert.equal(await page.evaluate('window.__diemcau.state'), 'lobby');
    assert.equal(bridge.calls.engine.live.participants(meetingId).length, 0);

    await page.fill('#password', SITE.sipPassword);
    await page.click('#join');
    await poll<string>('the page to be in the call', 'window.__diemcau.state', (s) => s === 'in-call');
    const roster = await waitFor(
      'the site on the roster',
      async () => {
        const r = bridge.calls.engine.live.participants(meetingId);
        return r.length === 1 ? r : undefined;
      },
      15_000,
    );
    assert.deepEqual(
      roster.map((p) => ({ name: p.name, siteId: p.siteId, protocol: p.protocol })),
      [{ name: SITE.name, siteId, protocol: 'webrtc' }],
    );
    assert.deepEqual(tokenRequests, [], 'a site never asks the join API for a token');
    const stats = await poll<{ inbound: { audio: number } }>('audio at the browser', 'window.__diemcau.stats()', (s) => s.inbound.audio > 50);
    assert.ok(stats.inbound.audio > 50, JSON.stringify(stats));
    assert.equal((await rtpengine.list()).length, 1, 'the browser call has one rtpengine session');
    assert.ok(!((await page.evaluate('JSON.stringify(Object.assign({}, localStorage))')) as string).includes(SITE.sipPassword), 'the password is not stored');

    await leave(page);
    await waitFor('the site to leave', async () => (bridge.calls.engine.live.participants(meetingId).length === 0 ? true : undefined), 15_000);
    await waitFor('rtpengine session deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
    await waitFor('nothing left in FreeSWITCH', async () => ((await bridge.channels()) === 0 ? true : undefined), 15_000);
    const [row] = await bridge.ds.query(`SELECT display_name, site_id, end_reason, protocol FROM participation WHERE meeting_id = $1`, [meetingId]);
    assert.deepEqual(row, { display_name: SITE.name, site_id: siteId, end_reason: 'caller-hangup', protocol: 'webrtc' });
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  });
});

async function leave(page: Page): Promise<void> {
  await page.click('#leave');
  await page.locator('#ended-text').waitFor();
}
