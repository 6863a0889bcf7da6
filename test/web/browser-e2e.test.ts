import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Srf from 'drachtio-srf';
import { chromium, type Browser } from 'playwright-core';
import { cliActor } from '../../src/audit/audit';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { startBridge, startCaller, type TestBridge } from '../support/bridge';
import { bridgeJoinDeps, startBridgeApi } from '../support/bridge-api';
import { CHROMIUM, MEDIA_FLAGS, OUT, requireChromium } from './chromium';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { requireRtpengine, startRtpengine, type TestRtpengine } from '../support/rtpengine';
import { requireStack, startFreeswitch, waitFor, type FreeswitchServer } from '../support/stack';

const SECRET = 'join-secret-for-the-e2e-test-0123';

/**
 * The whole way in for an official on a laptop: the join page in Chromium (fake camera and
 * microphone) asks the API for a token with the PIN, calls over WebSocket to drachtio-server, the
 * bridge relays the WebRTC media through rtpengine into the FreeSWITCH conference where a room
 * system already is; both are participants, the browser receives audio and video, and leaving
 * cleans up everywhere.
 */
describe('browser join end to end (Chromium, drachtio-server, rtpengine, FreeSWITCH)', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let rtpengine: TestRtpengine;
  let caller: { srf: Srf; stop(): Promise<void> };
  let browser: Browser;
  let web: WebBuildResult;
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let base: string;
  let meetingId: string;
  const peers: RtpPeer[] = [];
  /** Two FreeSWITCH nodes: the last test kills the one the meeting is on. */
  let nodes: FreeswitchServer[] = [];
  let killed: FreeswitchServer | null = null;

  before(async function () {
    requireStack(this, 'browser join end to end');
    requireRtpengine(this, 'browser join end to end');
    requireChromium(this, 'browser join end to end');
    rtpengine = await startRtpengine();
    nodes = await Promise.all([startFreeswitch(), startFreeswitch()]);
    bridge = await startBridge({
      freeswitch: nodes[0]!,
      moreFreeswitches: nodes.slice(1),
      env: { RTPENGINE_SERVERS: `${rtpengine.host}:${rtpengine.port}`, JOIN_TOKEN_SECRET: SECRET },
    });
    caller = await startCaller();
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });

    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await book.create(
        {
          title: 'Giao ban trực tuyến UBND huyện Chư Sê',
          roomNumber: 2001,
          pin: '2468',
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: [],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;
    http = await startBridgeApi(bridge, { extra: bridgeJoinDeps(bridge, SECRET, web.outDir) });
    base = http.base;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--use-fake-ui-for-media-stream', ...MEDIA_FLAGS] });
    await mkdir(OUT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    for (const p of peers) p.close();
    await http?.close();
    await caller?.stop();
    await bridge?.stop();
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await rtpengine?.stop();
    if (web) await rm(web.outDir, { recursive: true, force: true });
  });

  const channels = async () => {
    const counts = await Promise.all(nodes.filter((n) => n !== killed).map((n) => n.fsCli('show channels count')));
    return counts.reduce((sum, c) => sum + Number(/(\d+) total/.exec(c)?.[1] ?? NaN), 0);
  };

  /** A commune's room system in the meeting, dialled in with the PIN inline, sending an 800 Hz tone. */
  const roomWithTone = async () => {
    const room = await RtpPeer.open();
    peers.push(room);
    const roomDialog = await caller.srf.createUAC(`sip:2001*2468@${bridge.target}`, {
      localSdp: room.sdp(),
      headers: { From: '"Xã Ia Pal" <sip:ia-pal@caller.test>' },
    });
    room.startTone(sdpAudioTarget(roomDialog.remote.sdp), 800);
    return { room, roomDialog };
  };

  it('puts a newcomer with the PIN into the meeting with a room system, then cleans up on leaving', async () => {
    const { room, roomDialog } = await roomWithTone();

    const context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/join/2001`);
    await page.locator('#meeting-title').waitFor();
    assert.match((await page.locator('#meeting-title').textContent()) ?? '', /Giao ban trực tuyến UBND huyện Chư Sê/);
    await page.fill('#name', 'Nguyễn Văn An');
    await page.fill('#pin', '2468');
    await page.click('#join');

    const poll = async <T>(what: string, expr: string, ok: (v: T) => boolean, ms = 30_000): Promise<T> =>
      waitFor(
        what,
        async () => {
          const v = (await page.evaluate(expr)) as T;
          return ok(v) ? v : undefined;
        },
        ms,
        250,
      );
    await poll<string>('the page to be in the call', 'window.__diemcau.state', (s) => s === 'in-call');
    const roster = await waitFor(
      'both participants',
      async () => {
        const r = bridge.calls.engine.live.participants(meetingId);
        return r.length === 2 ? r : undefined;
      },
      15_000,
    );
    assert.deepEqual(roster.map((p) => [p.name, p.protocol]).sort(), [
      ['Nguyễn Văn An', 'webrtc'],
      ['Xã Ia Pal', 'sip'],
    ]);
    const stats = await poll<{ inbound: { audio: number; video: number } }>(
      'audio and video packets at the browser',
      'window.__diemcau.stats()',
      (s) => s.inbound.audio > 50 && s.inbound.video > 10,
      30_000,
    );
    assert.ok(stats.inbound.audio > 50 && stats.inbound.video > 10, JSON.stringify(stats));
    await page.bringToFront();
    await page.screenshot({ path: join(OUT, 'e2e-in-call.png'), fullPage: true });
    assert.equal((await rtpengine.list()).length, 1, 'the browser call has one rtpengine session');

    await page.click('#leave');
    await waitFor('the browser to leave', async () => (bridge.calls.engine.live.participants(meetingId).length === 1 ? true : undefined), 15_000);
    await waitFor('rtpengine session deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
    const [row] = await bridge.ds.query(`SELECT end_reason, protocol FROM participation WHERE display_name = 'Nguyễn Văn An'`);
    assert.deepEqual(row, { end_reason: 'caller-hangup', protocol: 'webrtc' });

    room.stop();
    await roomDialog.destroy();
    await waitFor('nothing left in FreeSWITCH', async () => ((await channels()) === 0 ? true : undefined), 15_000);
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  });
  it('keeps the call when the FreeSWITCH carrying it dies: the page stays in the call and hears the room through the node left', async () => {
    const { room, roomDialog } = await roomWithTone();
    const context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/join/2001`);
    await page.fill('#name', 'Trần Thị Bình');
    await page.fill('#pin', '2468');
    await page.click('#join');
    const value = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
    await waitFor('the page in the call', async () => ((await value<string>('window.__diemcau.state')) === 'in-call' ? true : undefined), 30_000, 250);
    const where = () => bridge.calls.engine.calls.inMeeting(meetingId).filter((c) => c.state === 'joined');
    await waitFor('both in', async () => (where().length === 2 ? true : undefined), 15_000);
    const dead = nodes.find((n) => `${n.host}:${n.eslPort}` === where()[0]!.mediaServer)!;
    const left = nodes.find((n) => n !== dead)!;
    const callIds = where()
      .map((c) => c.info.callId)
      .sort();

    // The page reports every state it goes through from here: a move must not look like a reconnect.
    await page.evaluate(`window.__states = []; setInterval(() => window.__states.push(window.__diemcau.state), 100)`);
    killed = dead;
    process.kill(dead.pid, 'SIGKILL');
    await waitFor(
      'both back in, on the node left',
      async () => (where().length === 2 && where().every((c) => c.mediaServer === `${left.host}:${left.eslPort}`) ? true : undefined),
      30_000,
      100,
    );
    assert.deepEqual(
      where()
        .map((c) => c.info.callId)
        .sort(),
      callIds,
      'the same two calls: the browser did not call again',
    );
    const before = (await value<{ inbound: { audio: number } }>('window.__diemcau.stats()')).inbound.audio;
    await waitFor(
      'audio at the browser through the node left',
      async () => ((await value<{ inbound: { audio: number } }>('window.__diemcau.stats()')).inbound.audio > before + 100 ? true : undefined),
      15_000,
      250,
    );
    const states = await value<string[]>('window.__states');
    assert.deepEqual([...new Set(states)], ['in-call'], `the page stayed in the call: ${states.join(',')}`);
    assert.equal((await rtpengine.list()).length, 1, 'the same rtpengine session');
    const rows = await bridge.ds.query(`SELECT end_reason, media_server FROM participation WHERE display_name = 'Trần Thị Bình' ORDER BY joined_at`);
    assert.deepEqual(
      rows.map((r: { end_reason: string | null; media_server: string }) => [r.end_reason, r.media_server]),
      [
        ['media-server-lost', `${dead.host}:${dead.eslPort}`],
        [null, `${left.host}:${left.eslPort}`],
      ],
    );

    await page.click('#leave');
    await waitFor('rtpengine session deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
    room.stop();
    await roomDialog.destroy();
    await waitFor('nothing left in FreeSWITCH', async () => ((await channels()) === 0 ? true : undefined), 15_000);
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  });
});
