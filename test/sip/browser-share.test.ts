import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RequestStatus } from '../../src/bfcp/constants';
import { LocalDocumentStore } from '../../src/documents/local-store';
import { MeetingDocuments } from '../../src/documents/documents';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { addDialInSite, bookLiveMeeting, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { bridgeJoinDeps, startBridgeApi } from '../support/bridge-api';
import { ContentRoom } from '../support/content-room';
import { findFfmpeg } from '../support/h264-peer';
import { requireRtpengine, startRtpengine, type TestRtpengine } from '../support/rtpengine';
import { skipFor } from '../support/skip';
import { requireStack, waitFor } from '../support/stack';
import { CHROMIUM, MEDIA_FLAGS, OUT, requireChromium } from '../web/chromium';

const SECRET = 'join-secret-for-the-browser-share-test';
const GUEST = 'Nguyễn Văn An';

/**
 * The join page's content sessions on the real stack (docs/content-sharing.md, "Browsers"): Chromium
 * shares its (fake) screen, and a room system with BFCP receives it as H.264 on its content line;
 * then the room system presents, the page stops sharing (taken over), says so, and plays the room
 * system's content in its second video; when that stops, the page's receiving session ends (BYE) and
 * nothing is left in rtpengine or FreeSWITCH.
 *
 * Chromium: `--use-fake-ui-for-media-stream` answers getDisplayMedia's picker with the fake screen
 * (Debian's Chromium 156 needs no `--auto-select-desktop-capture-source`).
 */
describe('browser content sharing (Chromium, rtpengine, FreeSWITCH, a BFCP room system)', function () {
  this.timeout(150_000);
  let bridge: TestBridge;
  let rtpengine: TestRtpengine;
  let caller: Awaited<ReturnType<typeof startCaller>>;
  let browser: Browser;
  let web: WebBuildResult;
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let documentsDir: string;
  let ffmpeg: string;
  let meeting: Meeting;
  let page: Page;
  let room: ContentRoom;
  let baseline: number;
  const events: MeetingEvent[] = [];
  const pageErrors: string[] = [];
  let stopEvents: () => void = () => undefined;

  before(async function () {
    requireStack(this, 'browser content sharing');
    requireRtpengine(this, 'browser content sharing');
    requireChromium(this, 'browser content sharing');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'browser content sharing', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    rtpengine = await startRtpengine();
    bridge = await startBridge({
      env: { RTPENGINE_SERVERS: `${rtpengine.host}:${rtpengine.port}`, JOIN_TOKEN_SECRET: SECRET, BFCP_HOST: '127.0.0.1', BFCP_PORT: '0' },
    });
    caller = await startCaller();
    await addDialInSite(bridge, 'xa-ia-pal');
    meeting = await bookLiveMeeting(bridge, { title: 'Giao ban có trình chiếu', roomNumber: 2301, sites: ['xa-ia-pal'], allowGuests: true });
    stopEvents = bridge.calls.engine.events.subscribe(meeting.id, (e) => events.push(e));
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });
    documentsDir = await mkdtemp(join(tmpdir(), 'diemcau-documents-'));
    http = await startBridgeApi(bridge, {
      extra: {
        ...bridgeJoinDeps(bridge, SECRET, web.outDir),
        // The page's event stream is served with the meeting's documents.
        documents: { book: new MeetingDocuments(bridge.ds, new LocalDocumentStore(documentsDir), bridge.calls.engine.events), maxBytes: 1 << 20 },
        content: bridge.calls.engine.content,
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--use-fake-ui-for-media-stream', ...MEDIA_FLAGS] });
    await mkdir(OUT, { recursive: true });
    baseline = await bridge.channels();
  });

  after(async () => {
    stopEvents();
    await browser?.close();
    await room?.close();
    await http?.close();
    await caller?.stop();
    await bridge?.stop();
    await rtpengine?.stop();
    if (web) await rm(web.outDir, { recursive: true, force: true });
    if (documentsDir) await rm(documentsDir, { recursive: true, force: true });
  });

  const hook = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
  const poll = <T>(what: string, expr: string, ok: (v: T) => boolean, ms = 20_000) =>
    waitFor(
      what,
      async () => {
        const v = await hook<T>(expr);
        return ok(v) ? v : undefined;
      },
      ms,
      250,
    );

  it('sends the shared screen to the room system as H.264 on its content line', async () => {
    room = await ContentRoom.dialIn(caller.srf, { target: bridge.target, room: 2301, username: 'xa-ia-pal', password: 'mat-khau-xa-ia-pal', bfcp: 'udp' });
    const context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${http.base}/join/2301`);
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', GUEST);
    await page.click('#join');
    await poll<string>('the page in the call', 'window.__diemcau.state', (s) => s === 'in-call', 30_000);
    const sessionsInCall = (await rtpengine.list()).length;

    // Reached from the keyboard, labelled in Vietnamese.
    const share = page.locator('#toggle-share');
    assert.equal(await share.textContent(), 'Chia sẻ màn hình');
    await share.focus();
    await page.keyboard.press('Enter');
    await waitFor('content.started for the page', async () =>
      events.some((e) => e.type === 'content.started' && e.presenter.name === GUEST && e.presenter.protocol === 'webrtc') ? true : undefined,
    );
    assert.equal(await share.getAttribute('aria-pressed'), 'true');
    assert.equal(await share.textContent(), 'Dừng chia sẻ');
    await waitFor('the screen at the room system', async () => (room.content!.count() > 30 ? true : undefined), 20_000, 250);
    await sleep(2000);
    const got = room.content!.stats(2000);
    assert.ok(got.packets > 10, `content packets in 2 s: ${got.packets}`);
    // H.264 NAL units as RFC 6184 carries them: single units (1 = slice, 5 = IDR, 7/8 = SPS/PPS), STAP-A (24), FU-A (28).
    assert.ok(
      Object.keys(got.nalTypes).every((t) => [1, 5, 6, 7, 8, 24, 28].includes(Number(t))),
      JSON.stringify(got.nalTypes),
    );
    assert.equal((await rtpengine.list()).length, sessionsInCall + 1, 'the content session has its own rtpengine session');
    await page.screenshot({ path: join(OUT, 'share-presenting-laptop.png') });
  });

  it("shows the room system's presentation once it takes the floor, and says the page's share was taken over", async () => {
    const client = await room.floorClient();
    await client.request({ primitive: 'FloorRequest', floorIds: [room.floorId] });
    await client.next(
      (m) =>
        m.primitive === 'FloorRequestStatus' && !m.responder && m.floorRequestInformation.overallRequestStatus?.requestStatus?.status === RequestStatus.Granted,
      5000,
    );
    await room.startContent(ffmpeg, 'color=c=red:s=640x360:r=15');

    await poll<boolean>('the page to stop sharing', 'window.__diemcau.content.sharing', (s) => !s);
    assert.match((await page.locator('#content-news').textContent()) ?? '', /Bạn đã dừng trình chiếu: xa-ia-pal/);
    await poll<boolean>('the page to watch', 'window.__diemcau.content.watching', (w) => w);
    await poll<number>('a picture in the content video', `document.getElementById('content').videoWidth`, (w) => w > 0, 30_000);
    const frames = async () => (await hook<{ framesDecoded: number }>('window.__diemcau.content.counts()')).framesDecoded;
    const before = await frames();
    await sleep(2000);
    assert.ok((await frames()) > before + 5, 'frames keep coming');
    assert.match((await page.locator('#content-label').textContent()) ?? '', /xa-ia-pal đang trình chiếu/);
    assert.equal(await hook<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, 'no horizontal overflow on a laptop');
    await page.screenshot({ path: join(OUT, 'share-watching-laptop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await hook<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, 'no horizontal overflow on a phone');
    await page.screenshot({ path: join(OUT, 'share-watching-phone.png'), fullPage: true });

    // The room system hangs up mid-presentation: the page's receiving session ends with a BYE.
    const withWatch = (await rtpengine.list()).length;
    await room.close();
    await poll<boolean>('the page to stop watching', 'window.__diemcau.content.watching', (w) => !w);
    await waitFor('the receiving session gone from rtpengine', async () => ((await rtpengine.list()).length < withWatch ? true : undefined), 10_000);
  });

  it('leaves nothing behind when the page leaves', async () => {
    await page.click('#leave');
    await waitFor('rtpengine sessions deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
    await waitFor('FreeSWITCH back to its channels before the test', async () => ((await bridge.channels()) === baseline ? true : undefined), 15_000);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
