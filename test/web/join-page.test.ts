import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { verifyJoinToken } from '../../src/access/join-tokens';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { answerOffer, bridgeInbound } from './bridge-peer';
import { FakeSipWebSocket, type InviteAction, type SipRequest } from './fake-sip-ws';
import { CHROMIUM, MEDIA_FLAGS, OUT, requireChromium, until } from './chromium';
import { JOIN_SECRET, JoinServer } from './join-server';

/**
 * The join page in Debian's Chromium (never a downloaded browser), with fake camera and microphone,
 * against the real join API on PostgreSQL and a fake SIP WebSocket server. Screenshots go to
 * test-output/web/ for a human to look at.
 */

const ZONE = 'Asia/Ho_Chi_Minh';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

const RECORD_PC_CONFIG = `(() => {
  const Native = window.RTCPeerConnection;
  window.__pcConfigs = [];
  window.RTCPeerConnection = function (config) {
    window.__pcConfigs.push(JSON.parse(JSON.stringify(config || {})));
    return new Native(config);
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})()`;

/** "08:05" in the district's zone, as the page shows times (the browser runs in that zone). */
const hhmm = (d: Date) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: ZONE }).format(d);

describe('join page in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let web: WebBuildResult;
  let server: JoinServer;
  let sip: FakeSipWebSocket;
  let later: { startsAt: Date; opensAt: Date };
  let openStartsAt: Date;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    requireChromium(this, 'join page tests');
    await mkdir(OUT, { recursive: true });
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });
    sip = await FakeSipWebSocket.start();
    server = await JoinServer.start({ webDir: web.outDir, wsServers: [sip.url] });
    openStartsAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    await server.book({
      room: 2001,
      title: 'Giao ban trực tuyến tháng 12 – UBND huyện Chư Sê',
      startsIn: (openStartsAt.getTime() - Date.now()) / 60_000,
      lasts: 120,
      pin: '2468',
    });
    const laterStart = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 180 * 60_000);
    await server.book({
      room: 2002,
      title: 'Họp Ban Chỉ đạo phòng chống thiên tai',
      startsIn: (laterStart.getTime() - Date.now()) / 60_000,
      lasts: 60,
      pin: '1357',
    });
    later = { startsAt: laterStart, opensAt: new Date(laterStart.getTime() - 15 * 60_000) };
    await server.book({ room: 2003, title: 'Tập huấn chuyển đổi số cấp xã', startsIn: -5, lasts: 60 });
    await server.book({ room: 2004, title: 'Họp trực tuyến các xã được mời', startsIn: -5, lasts: 60, pin: '8642', allowGuests: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--use-fake-ui-for-media-stream', ...MEDIA_FLAGS] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await sip?.close();
    if (web) await rm(web.outDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    sip.invites.length = 0;
    sip.byes.length = 0;
    sip.responses.length = 0;
    pageErrors.length = 0;
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  async function open(
    path: string,
    options: { locale?: string; viewport?: { width: number; height: number }; on?: Browser; init?: string } = {},
  ): Promise<Page> {
    const phone = options.viewport && options.viewport.width < 600;
    const context = await (options.on ?? browser).newContext({
      locale: options.locale ?? 'vi-VN',
      timezoneId: ZONE,
      viewport: options.viewport ?? DESKTOP,
      ...(phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    if (options.init) await page.addInitScript(options.init);
    await page.goto(`${server.base}${path}`);
    return page;
  }

  const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
  const state = (page: Page) => page.evaluate('window.__diemcau.state') as Promise<string>;
  const waitForText = (page: Page, selector: string, fragment: string, timeout = 10_000) =>
    until(page, `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '').includes(${JSON.stringify(fragment)})`, timeout).catch(
      async (err: Error) => {
        throw new Error(`${err.message}; ${selector} says "${await text(page, selector)}"`);
      },
    );
  const waitForSelfView = (page: Page) =>
    until(
      page,
      `(() => { const v = document.getElementById('self-view'); return v.videoWidth > 0 && v.srcObject && v.srcObject.getVideoTracks().length > 0; })()`,
    );
  const shot = (page: Page, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  it('renders in Vietnamese for a Vietnamese browser, with the meeting title and local times', async () => {
    const page = await open('/join/2001');
    await page.locator('#meeting-title').waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'vi');
    assert.equal(await text(page, 'h1'), 'Tham gia cuộc họp trực tuyến');
    assert.equal(await text(page, '#meeting-title'), 'Giao ban trực tuyến tháng 12 – UBND huyện Chư Sê');
    assert.equal(await text(page, '#meeting-status'), 'Đang mở');
    const when = await text(page, '#meeting-when');
    assert.ok(when.includes(`${hhmm(openStartsAt)} – ${hhmm(new Date(openStartsAt.getTime() + 120 * 60_000))}`), when);
    assert.equal(await page.inputValue('#room'), '2001');
    assert.ok(await page.locator('#pin').isVisible(), 'the meeting has a PIN');
    assert.equal(await text(page, '#join'), 'Vào phòng họp');
    assert.equal(await text(page, '#sip-hint'), 'Thiết bị hội nghị gọi vào: sip:2001@bridge.test');
    assert.ok(await page.evaluate('document.body.innerText === document.body.innerText.normalize("NFC")'), 'Vietnamese text is NFC');
    await waitForSelfView(page);
    await shot(page, 'desktop-vi');
  });

  it('switches to English and remembers it; an English browser starts in English', async () => {
    const page = await open('/join/2001');
    await page.locator('#meeting-title').waitFor();
    await page.click('button[data-lang="en"]');
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Join a video meeting');
    assert.equal(await text(page, '#meeting-status'), 'Open now');
    assert.equal(await text(page, 'label[for="name"]'), 'Your name');
    assert.equal(await page.getAttribute('button[data-lang="en"]', 'aria-pressed'), 'true');
    await waitForSelfView(page);
    await shot(page, 'desktop-en');
    await page.reload();
    await page.locator('#meeting-title').waitFor();
    assert.equal(await text(page, 'h1'), 'Join a video meeting', 'the choice survives a reload');

    const english = await open('/join/2001', { locale: 'en-US' });
    assert.equal(await text(english, 'h1'), 'Join a video meeting');
    const forced = await open('/join/2001?lang=vi', { locale: 'en-US' });
    assert.equal(await text(forced, 'h1'), 'Tham gia cuộc họp trực tuyến');
  });

  it('asks for a name before calling the API', async () => {
    const page = await open('/join/2001');
    await page.locator('#meeting-title').waitFor();
    const tokenRequests: string[] = [];
    page.on('request', (r) => r.url().includes('/token') && tokenRequests.push(r.url()));
    await page.fill('#pin', '2468');
    await page.click('#join');
    await page.locator('#name-error').waitFor();
    assert.equal(await text(page, '#name-error'), 'Vui lòng nhập tên hiển thị.');
    assert.equal(await page.getAttribute('#name', 'aria-invalid'), 'true');
    await page.fill('#name', '   ');
    await page.click('#join');
    assert.equal(await text(page, '#name-error'), 'Vui lòng nhập tên hiển thị.');
    assert.deepEqual(tokenRequests, []);
    assert.equal(await state(page), 'lobby');
  });

  it('shows "wrong PIN" from the API', async () => {
    const page = await open('/join/2001');
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', 'Nguyễn Văn An');
    await page.fill('#pin', '0000');
    await page.click('#join');
    await waitForText(page, '#banner-text', 'Mã PIN không đúng.');
    assert.equal(await text(page, '#pin-error'), 'Mã PIN không đúng.');
    assert.equal(await page.inputValue('#pin'), '', 'the wrong PIN is cleared');
    assert.equal(await state(page), 'lobby');
    assert.equal(sip.invites.length, 0);
    await shot(page, 'desktop-wrong-pin');
  });

  it('says when a meeting that is not open yet opens, in local time', async () => {
    const page = await open('/join/2002');
    await waitForText(page, '#banner-text', 'Cuộc họp chưa mở');
    const banner = await text(page, '#banner-text');
    assert.ok(banner.includes(hhmm(later.opensAt)), banner);
    assert.equal(await text(page, '#meeting-status'), 'Chưa mở');
    assert.ok((await text(page, '#meeting-opens')).startsWith(`Phòng họp mở lúc ${hhmm(later.opensAt)}`));
    await page.click('button[data-lang="en"]');
    assert.ok((await text(page, '#banner-text')).startsWith(`The meeting is not open yet. You can join from ${hhmm(later.opensAt)}`));
    await shot(page, 'desktop-not-open-yet');
  });

  it('says so when no meeting is booked in the room', async () => {
    const page = await open('/join/2099');
    await waitForText(page, '#banner-text', 'Không có cuộc họp nào được đặt ở phòng 2099.');
    assert.ok(await page.locator('#meeting').isHidden());
  });

  it('shows the self-view and lists the devices once the browser allows them', async () => {
    const page = await open('/join/2001');
    await waitForSelfView(page);
    assert.ok(await page.locator('.preview.has-video').isVisible());
    assert.ok(await page.locator('#media-message').isHidden(), 'no device problem to report');
    const mics = await page.locator('#mic option').allTextContents();
    const cams = await page.locator('#cam option').allTextContents();
    assert.ok(mics.length >= 2 && mics.at(-1) === 'Không có', mics.join(' | '));
    assert.ok(cams.length >= 2 && cams.at(-1) === 'Không có', cams.join(' | '));
    // Choosing "none" for the camera leaves the microphone only.
    await page.selectOption('#cam', 'none');
    await until(page, `!document.querySelector('.preview').classList.contains('has-video')`);
    assert.equal(await text(page, '#preview-empty'), 'Chưa có hình ảnh từ camera');
  });

  it('explains a refused camera and microphone, with a way to try again', async () => {
    const strict = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: MEDIA_FLAGS });
    try {
      const page = await open('/join/2001', { on: strict });
      await waitForText(page, '#media-text', 'Trình duyệt chưa được phép dùng micrô và camera');
      assert.ok(await page.locator('#media-retry').isVisible());
      await shot(page, 'desktop-media-denied');
    } finally {
      await strict.close();
    }
  });

  it('calls over SIP with the token in X-Join-Token and the name in From; 486 says the room is full', async () => {
    sip.onInvite = () => ({ status: 486, phrase: 'Busy Here' });
    // Records each RTCPeerConnection's configuration: SIP.js's defaults (public STUN) must not survive.
    const page = await open('/join/2003', { init: RECORD_PC_CONFIG });
    await page.locator('#meeting-title').waitFor();
    await waitForSelfView(page);
    await page.fill('#name', ' Trần Văn "Bảy" \\ xã Ia Pal ');
    const clicked = Date.now();
    await page.click('#join');
    await sip.waitForInvites(1);
    assert.ok(Date.now() - clicked < 3000, `the INVITE left ${Date.now() - clicked} ms after the click: ICE gathering must not wait`);
    const invite = sip.invites[0]!;
    assert.equal(invite.uri, 'sip:2003@bridge.test');
    const verified = verifyJoinToken(JOIN_SECRET, invite.headers['x-join-token'] ?? '', { room: 2003, now: new Date() });
    assert.ok(verified.ok, JSON.stringify(verified));
    assert.equal(verified.claims.name, 'Trần Văn "Bảy" \\ xã Ia Pal');
    assert.match(invite.headers['from'] ?? '', /^"Trần Văn \\"Bảy\\" \\\\ xã Ia Pal" <sip:guest-[a-z0-9]{8}@bridge\.test>;tag=/);
    assert.match(invite.body, /^m=audio /m);
    assert.match(invite.body, /^m=video /m);
    assert.doesNotMatch(invite.body, /typ (srflx|relay)/, 'no STUN or TURN server was used');
    const configs = (await page.evaluate('window.__pcConfigs')) as { iceServers: unknown[]; bundlePolicy: string }[];
    assert.equal(configs.length, 1);
    assert.deepEqual(configs[0]!.iceServers, [], 'the API configured none, so none');
    assert.equal(configs[0]!.bundlePolicy, 'balanced', 'rtpengine answers un-bundled');
    await waitForText(page, '#banner-text', 'Phòng họp đã đầy hoặc đang khóa.');
    assert.equal(await state(page), 'lobby');
    assert.equal(await text(page, '#join'), 'Vào phòng họp');
  });

  it("explains a 480 with the room's state", async () => {
    sip.onInvite = () => ({ status: 480, phrase: 'Meeting Ended' });
    const page = await open('/join/2003');
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', 'Đỗ Quang Vinh');
    await page.click('#join');
    await waitForText(page, '#banner-text', 'Cuộc họp đã kết thúc.');
    assert.equal(await state(page), 'lobby');
  });

  describe('signing in as a site', () => {
    const PASSWORD = 'mat-khau-ia-pal';
    /** The bridge's way with a site: challenge an INVITE without credentials, then check them. */
    const asBridge =
      (then: (index: number) => InviteAction) =>
      (invite: SipRequest, index: number): InviteAction => {
        const digest = sip.digest(invite, PASSWORD);
        if (!digest) return 'challenge';
        return digest.ok && digest.username === 'ia-pal' ? then(index) : { status: 403, phrase: 'Forbidden' };
      };
    async function signIn(page: Page, username: string, password: string): Promise<void> {
      await page.check('#mode-site');
      await page.fill('#username', username);
      await page.fill('#password', password);
      await page.click('#join');
    }

    it('switches between guest and site in both languages, hiding the name and the PIN', async () => {
      const page = await open('/join/2004');
      await waitForText(page, '#banner-text', 'Cuộc họp này chỉ dành cho các điểm cầu được mời.');
      assert.equal(await text(page, '.mode legend'), 'Tham gia với tư cách');
      assert.deepEqual(await page.locator('.segmented span').allTextContents(), ['Khách mời', 'Tài khoản điểm cầu']);
      assert.ok(await page.isChecked('#mode-guest'));
      assert.ok((await page.locator('#name').isVisible()) && (await page.locator('#pin').isVisible()));
      assert.ok(await page.locator('#username').isHidden());

      await page.click('.segmented span:text-is("Tài khoản điểm cầu")'); // as a user would: on the label
      assert.ok(await page.isChecked('#mode-site'));
      assert.ok((await page.locator('#name').isHidden()) && (await page.locator('#pin').isHidden()), 'a site has neither a name to type nor a PIN');
      assert.ok((await page.locator('#username').isVisible()) && (await page.locator('#password').isVisible()));
      assert.equal(await page.getAttribute('#password', 'type'), 'password');
      assert.equal(await text(page, 'label[for="username"]'), 'Tên đăng nhập SIP');
      assert.equal(await text(page, 'label[for="password"]'), 'Mật khẩu SIP');
      assert.ok((await text(page, '#site-fields .hint')).startsWith('Đăng nhập bằng tài khoản điểm cầu'));
      assert.equal(await text(page, '#join'), 'Đăng nhập và vào họp');
      assert.ok(await page.locator('#banner').isHidden(), '"invited sites only" is no news to a site');
      await waitForSelfView(page);
      await shot(page, 'desktop-site-login-vi');

      await page.click('#join');
      assert.equal(await text(page, '#username-error'), 'Vui lòng nhập tên đăng nhập SIP.');
      assert.equal(await text(page, '#password-error'), 'Vui lòng nhập mật khẩu SIP.');
      await page.click('button[data-lang="en"]');
      assert.equal(await text(page, '.mode legend'), 'Join as');
      assert.deepEqual(await page.locator('.segmented span').allTextContents(), ['Guest', 'Site account']);
      assert.equal(await text(page, 'label[for="username"]'), 'SIP username');
      assert.equal(await text(page, 'label[for="password"]'), 'SIP password');
      assert.ok((await text(page, '#site-fields .hint')).startsWith('Sign in as a site'));
      assert.equal(await text(page, '#join'), 'Sign in and join');
      assert.equal(await text(page, '#username-error'), 'Please enter the SIP username.');
      await page.fill('#username', 'xã ia pal');
      await page.fill('#password', 'x');
      await page.click('#join');
      assert.equal(await text(page, '#username-error'), 'A SIP username has letters, digits, dots, dashes or underscores (at most 64).');
      assert.equal(sip.invites.length, 0);
      await page.fill('#username', '');
      await page.fill('#password', '');
      await page.click('#join');
      await shot(page, 'desktop-site-login-en-errors');

      await page.click('.segmented span:text-is("Guest")');
      assert.ok(await page.locator('#name').isVisible());
      assert.equal(await text(page, '#banner-text'), 'This meeting admits invited room systems only. An invited site can sign in under “Site account”.');

      const phone = await open('/join/2004', { viewport: { width: 360, height: 740 } });
      await phone.check('#mode-site');
      await waitForSelfView(phone);
      assert.ok(((await phone.evaluate('document.documentElement.scrollWidth')) as number) <= 360);
      await shot(phone, 'phone-360-site-login');
    });

    it("calls without a token, answers the 407 with the site's digest, and signs in again after a lost connection", async () => {
      sip.onInvite = asBridge((index) => (index === 1 ? 'drop' : { status: 486, phrase: 'Busy Here' }));
      const page = await open('/join/2004');
      await page.locator('#meeting-title').waitFor();
      const apiCalls: string[] = [];
      page.on('request', (r) => r.url().includes('/api/') && apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`));
      await signIn(page, 'ia-pal', PASSWORD);
      await sip.waitForInvites(4, 20_000);
      await waitForText(page, '#banner-text', 'Phòng họp đã đầy hoặc đang khóa.');
      const lookups = apiCalls.filter((c) => c !== 'POST /api/v1/join/2004/site-pass');
      assert.deepEqual(lookups, ['GET /api/v1/join/2004', 'GET /api/v1/join/2004'], 'the room is looked up before each call; no token is asked for');
      // Beside the call, the site signs in for its meeting's documents (refused here: not in this directory).
      assert.ok(apiCalls.includes('POST /api/v1/join/2004/site-pass'), apiCalls.join(', '));

      const [first, second, third, fourth] = sip.invites;
      for (const invite of sip.invites) {
        assert.equal(invite.uri, 'sip:2004@bridge.test');
        assert.equal(invite.headers['x-join-token'], undefined, 'a site carries no join token');
        assert.match(invite.headers['from'] ?? '', /<sip:ia-pal@bridge\.test>;tag=/);
      }
      assert.equal(first!.headers['proxy-authorization'], undefined, 'SIP.js sends credentials only when asked');
      assert.deepEqual(sip.digest(second!, PASSWORD), { username: 'ia-pal', ok: true });
      assert.equal(second!.headers['call-id'], first!.headers['call-id'], 'the same call, answered');
      assert.equal(third!.headers['proxy-authorization'], undefined);
      assert.deepEqual(sip.digest(fourth!, PASSWORD), { username: 'ia-pal', ok: true }, 'the password, kept in memory, signs in again');
      const stored = (await page.evaluate('JSON.stringify(Object.assign({}, localStorage))')) as string;
      assert.ok(!stored.includes(PASSWORD), `the password is never stored: ${stored}`);
      assert.equal(JSON.parse(stored)['diemcau.siteUser'], 'ia-pal', 'the username is remembered');

      await page.reload();
      await page.locator('#meeting-title').waitFor();
      assert.ok(await page.isChecked('#mode-site'), 'the mode is remembered');
      assert.equal(await page.inputValue('#username'), 'ia-pal');
      assert.equal(await page.inputValue('#password'), '');
    });

    it('says "not invited or wrong credentials" on 403, in both languages', async () => {
      sip.onInvite = asBridge(() => ({ status: 486, phrase: 'Busy Here' }));
      const page = await open('/join/2004');
      await page.locator('#meeting-title').waitFor();
      await signIn(page, 'ia-pal', 'mat-khau-sai');
      await waitForText(page, '#banner-text', 'Không vào được cuộc họp: điểm cầu này không được mời, hoặc tên đăng nhập hay mật khẩu SIP không đúng.');
      assert.equal(sip.invites.length, 2);
      assert.deepEqual(sip.digest(sip.invites[1]!, PASSWORD), { username: 'ia-pal', ok: false });
      assert.equal(await state(page), 'lobby');
      assert.equal(await page.evaluate('document.activeElement.id'), 'password');
      await shot(page, 'desktop-site-forbidden');
      await page.click('button[data-lang="en"]');
      assert.equal(await text(page, '#banner-text'), 'Not admitted: this site is not invited to the meeting, or the SIP username or password is wrong.');
    });

    it('says the sign-in was not accepted when challenged again, and clears the password', async () => {
      sip.onInvite = () => 'challenge';
      const page = await open('/join/2004?lang=en');
      await page.locator('#meeting-title').waitFor();
      await signIn(page, 'ia-pal', PASSWORD);
      await waitForText(page, '#banner-text', 'The bridge did not accept the site’s sign-in.');
      assert.equal(sip.invites.length, 2, 'SIP.js answers one challenge, not a loop of them');
      assert.equal(await page.inputValue('#password'), '');
      await page.click('button[data-lang="vi"]');
      assert.ok((await text(page, '#banner-text')).startsWith('Hệ thống không chấp nhận thông tin đăng nhập của điểm cầu.'));
    });
  });

  it('retries a lost connection with a visible countdown and a fresh token', async () => {
    sip.onInvite = (_invite, index) => (index < 2 ? 'drop' : { status: 486, phrase: 'Busy Here' });
    const page = await open('/join/2003');
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', 'Lê Thị Hoa');
    await page.click('#join');
    await waitForText(page, '#banner-text', 'Mất kết nối. Tự động kết nối lại sau 2 giây (lần 2).', 15_000);
    assert.equal(await state(page), 'reconnecting');
    assert.ok((await page.locator('#banner-now').isVisible()) && (await page.locator('#banner-cancel').isVisible()));
    await shot(page, 'desktop-reconnecting');
    await sip.waitForInvites(3);
    await waitForText(page, '#banner-text', 'Phòng họp đã đầy');
    const tokens = new Set(sip.invites.map((i) => i.headers['x-join-token']));
    assert.equal(tokens.size, 3, 'each attempt asks for a new token');
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`joins, shows the meeting, mutes, counts inbound RTP and ${label === 'desktop' ? 'leaves' : 'is hung up on'} (${label})`, async () => {
      const page = await open('/join/2001', { viewport });
      const bridge = await contexts[0]!.newPage();
      await page.bringToFront(); // a background tab paints no video
      sip.onInvite = async (invite) => ({ status: 200, phrase: 'OK', sdp: await answerOffer(bridge, invite.body) });
      await page.locator('#meeting-title').waitFor();
      await waitForSelfView(page);
      if (label === 'phone') {
        assert.ok(((await page.evaluate('document.documentElement.scrollWidth')) as number) <= viewport.width, 'nothing wider than the phone');
        await shot(page, 'phone-lobby');
      }
      await page.fill('#name', 'Phạm Minh Đức');
      await page.fill('#pin', '2468');
      await page.click('#join');
      await until(page, `window.__diemcau.state === 'in-call'`, 15_000);
      await until(page, `document.getElementById('remote').videoWidth > 0`, 15_000);
      let stats = { inbound: { audio: 0, video: 0 }, outbound: { audio: 0, video: 0 } };
      for (let i = 0; i < 50 && !(stats.inbound.audio > 0 && stats.inbound.video > 0 && stats.outbound.video > 0); i++) {
        await new Promise((r) => setTimeout(r, 200));
        stats = (await page.evaluate('window.__diemcau.stats()')) as typeof stats;
      }
      assert.ok(stats.inbound.audio > 0 && stats.inbound.video > 0, JSON.stringify(stats));
      const atBridge = await bridgeInbound(bridge);
      assert.ok(atBridge.audio > 0 && atBridge.video > 0, `the bridge receives the page's media: ${JSON.stringify(atBridge)}`);
      assert.ok(await page.locator('#remote-waiting').isHidden());
      if (label === 'phone') assert.ok(((await page.evaluate('document.documentElement.scrollWidth')) as number) <= viewport.width);
      // Frames painted, not just decoded, before the screenshot.
      await until(page, `document.getElementById('remote').currentTime > 0.5 && document.getElementById('call-self').currentTime > 0.5`);
      await shot(page, `${label}-in-call`);

      await page.click('#toggle-mic');
      assert.equal(await text(page, '#toggle-mic'), 'Bật micrô');
      assert.equal(await page.getAttribute('#toggle-mic', 'aria-pressed'), 'true');
      await page.click('#toggle-cam');
      assert.equal(await text(page, '#toggle-cam'), 'Bật camera');
      assert.ok(await page.locator('#call-self').isHidden(), 'no self-view while the camera is off');
      if (label === 'desktop') await shot(page, 'desktop-in-call-muted');

      if (label === 'desktop') {
        await page.click('#leave');
        const bye = await sip.waitForBye();
        assert.equal(bye.headers['call-id'], sip.invites[0]!.headers['call-id']);
        await waitForText(page, '#ended-text', 'Bạn đã rời cuộc họp.');
      } else {
        sip.hangUp(0); // the meeting ends, or an operator removes the guest
        await waitForText(page, '#ended-text', 'Cuộc gọi đã kết thúc.');
        assert.deepEqual(sip.responses, [{ status: 200, cseq: '1 BYE' }], 'the page answers the BYE');
        assert.equal(sip.byes.length, 0, 'the page does not send a BYE of its own');
      }
      assert.equal(await state(page), 'ended');
      await page.click('#rejoin');
      assert.ok(await page.locator('#join').isVisible());
    });
  }

  it('calls again at once, with a fresh token, when the bridge hangs up because its media server died', async () => {
    const page = await open('/join/2001');
    const bridge = await contexts[0]!.newPage();
    await page.bringToFront();
    sip.onInvite = async (invite, index) =>
      index === 0 ? { status: 200, phrase: 'OK', sdp: await answerOffer(bridge, invite.body) } : { status: 486, phrase: 'Busy Here' };
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', 'Phạm Minh Đức');
    await page.fill('#pin', '2468');
    await page.click('#join');
    await until(page, `window.__diemcau.state === 'in-call'`, 15_000);
    sip.hangUp(0, 'Q.850;cause=41;text="media server lost"'); // docs/scale.md, "Failover"
    await sip.waitForInvites(2);
    assert.deepEqual(sip.responses, [{ status: 200, cseq: '1 BYE' }], 'the page answers the BYE');
    assert.notEqual(sip.invites[1]!.headers['x-join-token'], sip.invites[0]!.headers['x-join-token'], 'a new token for the new call');
    await waitForText(page, '#banner-text', 'Phòng họp đã đầy');
    await bridge.close();
  });

  it('fits a 360 px phone with nothing wider than the screen', async () => {
    const page = await open('/join/2002', { viewport: { width: 360, height: 740 } });
    await waitForText(page, '#banner-text', 'Cuộc họp chưa mở');
    await waitForSelfView(page);
    assert.ok(((await page.evaluate('document.documentElement.scrollWidth')) as number) <= 360);
    await shot(page, 'phone-360-not-open-yet');
  });
});
