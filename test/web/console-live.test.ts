import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Srf from 'drachtio-srf';
import { type Browser, chromium, type Page } from 'playwright-core';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { Scheduler } from '../../src/meetings/scheduler';
import { buildConsole, type WebBuildResult } from '../../src/web-build/build';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { startBridgeApi } from '../support/bridge-api';
import { RtpPeer } from '../support/rtp-peer';
import { requireStack, waitFor } from '../support/stack';
import { CHROMIUM, OUT, requireChromium } from './chromium';

/**
 * The console's live view on the real stack: room systems (drachtio-srf UACs with RTP) join a live
 * meeting and leave it, the page follows through the event stream, a mute clicked in the page
 * reaches the FreeSWITCH conference, a layout chosen in the page is the conference's, a SIP address
 * dialled from the page comes in as a guest, and ending the meeting from the page hangs everyone up.
 */
describe('operator console: live control on the real stack (drachtio-server, FreeSWITCH, Chromium)', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let caller: Awaited<ReturnType<typeof startCaller>>;
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let scheduler: Scheduler;
  let built: WebBuildResult;
  let browser: Browser;
  let meetingId: string;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'console live control');
    requireChromium(this, 'console live control');
    await mkdir(OUT, { recursive: true });
    built = await buildConsole({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-console-')) });
    bridge = await startBridge();
    caller = await startCaller();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    for (const [code, name] of [
      ['chu-se', 'Thị trấn Chư Sê'],
      ['ia-pal', 'Xã Ia Pal'],
    ] as const) {
      await sites.create({ code, name, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}`, allowedNetworks: [], enabled: true }, cliActor);
    }
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        {
          title: 'Giao ban trực tuyến',
          roomNumber: 2030,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: ['chu-se', 'ia-pal'],
          chairSite: 'chu-se',
          dialOut: false,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;
    scheduler = new Scheduler(
      bridge.ds,
      bridge.calls.lifecycle,
      bridge.calls.engine.events,
      { leadMs: 120_000, readinessBeforeMs: 15 * 60_000, endWarningMs: 60_000, tickMs: 250 },
      bridge.log,
    );
    scheduler.start();
    http = await startBridgeApi(bridge, { role: 'admin', scheduler, extra: { consolePageDir: built.outDir } });
    await waitFor('the meeting to go live', async () => ((await http.api('GET', `/meetings/${meetingId}`)).body.status === 'live' ? true : undefined));
    const created = await http.api('POST', '/operators', {
      username: 'dieu-hanh',
      name: 'Trần Văn Điều Hành',
      role: 'operator',
      password: 'mat-khau-dieu-hanh',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
    for (const p of peers) p.close();
    await scheduler?.stop();
    await http?.close();
    await caller?.stop();
    await bridge?.stop();
    if (built) await rm(built.outDir, { recursive: true, force: true });
  });

  /** A room system of `code` dialling the meeting's room with its SIP credentials. */
  async function dialIn(code: string): Promise<Srf.Dialog> {
    const peer = await RtpPeer.open();
    peers.push(peer);
    return caller.srf.createUAC(`sip:2030@${bridge.target}`, { localSdp: peer.sdp(), auth: { username: code, password: `mat-khau-${code}` } });
  }

  const tile = (page: Page, name: string) => page.getByRole('listitem').filter({ hasText: name });

  it('follows sites joining and leaving, mutes one in FreeSWITCH, and ends the meeting', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.setDefaultTimeout(15_000);
    // On a failure, a picture of the page says more than a timeout.
    const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        await page.screenshot({ path: join(OUT, 'console-live-failed.png') }).catch(() => undefined);
        throw new Error(`${what}: ${(err as Error).message}`);
      }
    };
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${http.base}/console#meetings/${meetingId}/live`);
    await page.getByLabel('Tên đăng nhập').fill('dieu-hanh');
    await page.getByLabel('Mật khẩu').fill('mat-khau-dieu-hanh');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await step('the live page after sign-in', () => tile(page, 'Thị trấn Chư Sê').filter({ hasText: 'Chưa vào' }).waitFor());
    await step('the counts', () => page.getByText('0/2 điểm cầu đã vào').waitFor());

    const chuSe = await step('Chư Sê dialling in', () => dialIn('chu-se'));
    const iaPal = await step('Ia Pal dialling in', () => dialIn('ia-pal'));
    await step('Chư Sê shown in', () => tile(page, 'Thị trấn Chư Sê').filter({ hasText: 'Đã vào' }).waitFor());
    await step('Ia Pal shown in', () => tile(page, 'Xã Ia Pal').filter({ hasText: 'Đã vào' }).waitFor());
    await step('both counted', () => page.getByText('2/2 điểm cầu đã vào').waitFor());
    await page.screenshot({ path: join(OUT, 'console-live.png') });

    // The mute, given from the keyboard, goes to FreeSWITCH, and the page shows it when the conference reports it back.
    await step('mute pressed', async () => {
      await page.getByRole('button', { name: 'Tắt tiếng Xã Ia Pal' }).focus();
      await page.keyboard.press('Enter');
    });
    await step('Ia Pal shown muted', () => tile(page, 'Xã Ia Pal').filter({ hasText: 'đang tắt tiếng' }).waitFor());
    const roster = await http.api('GET', `/meetings/${meetingId}/participants`);
    assert.equal(roster.body.items.find((p: { name: string }) => p.name === 'Xã Ia Pal')?.muted, true);

    await step('layout applied', async () => {
      await page.getByLabel('Bố cục hình').selectOption('2x2');
      await page.getByRole('button', { name: 'Áp dụng bố cục' }).click();
      await page.getByText('Đã đổi bố cục: Lưới 2×2').waitFor();
    });
    assert.equal((await http.api('GET', `/meetings/${meetingId}/participants`)).body.layout, '2x2');

    // A room system that is in no directory, answering at a SIP address typed into the page.
    caller.srf.invite((req, res) => {
      void RtpPeer.open()
        .then((peer) => {
          peers.push(peer);
          return caller.srf.createUAS(req, res, { localSdp: peer.sdp() });
        })
        .catch(() => undefined);
    });
    const clinic = `sip:tram-y-te@${caller.target}`;
    await step('ad-hoc dial sent', async () => {
      await page.getByLabel('Gọi địa chỉ SIP').fill(clinic);
      await page.getByRole('button', { name: 'Gọi', exact: true }).click();
      await page.getByText(`Đang gọi ${clinic}…`).waitFor();
    });
    await step('the clinic shown as a guest', () => page.getByRole('region', { name: 'Khách' }).getByText(clinic).waitFor());
    await step('guest counted', () => page.getByText('2/2 điểm cầu đã vào · 1 khách').waitFor());

    await iaPal.destroy(); // our BYE: the dialog emits no 'destroy' for it
    await step('Ia Pal shown gone', () => tile(page, 'Xã Ia Pal').filter({ hasText: 'Đã rời' }).waitFor());

    const hungUp = new Promise<void>((resolve) => chuSe.once('destroy', () => resolve()));
    page.once('dialog', (d) => void d.accept());
    await step('end clicked', () => page.getByRole('button', { name: 'Kết thúc họp' }).click());
    await step('Chư Sê hung up', () => Promise.race([hungUp, new Promise((_, reject) => setTimeout(() => reject(new Error('no BYE within 15 s')), 15_000))]));
    await step('the meeting shown ended', () => page.getByText('Đã kết thúc').waitFor());
    await step('Chư Sê shown gone', () => tile(page, 'Thị trấn Chư Sê').filter({ hasText: 'Đã rời' }).waitFor());
    await page.screenshot({ path: join(OUT, 'console-live-ended.png') });
    await waitFor('no call left', async () => (bridge.calls.engine.calls.all().length === 0 ? true : undefined), 15_000);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
