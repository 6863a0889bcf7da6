import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { cliActor } from '../../src/audit/audit';
import { buildWebPage, type WebBuildResult } from '../../src/web-build/build';
import { docxFile, pdfFile } from '../support/document-files';
import { answerOffer } from './bridge-peer';
import { CHROMIUM, MEDIA_FLAGS, OUT, requireChromium, until } from './chromium';
import { FakeSipWebSocket } from './fake-sip-ws';
import { JoinServer } from './join-server';

/**
 * The meeting's documents on the join page, in Debian's Chromium: listed with download links once a
 * guest is in, and a document uploaded during the meeting appears on every page already open,
 * pushed over the join page's event stream.
 */
const REPORT = 'Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế – xã hội quý IV năm 2026 của UBND huyện Chư Sê.pdf';

describe('join page: meeting documents in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let web: WebBuildResult;
  let server: JoinServer;
  let sip: FakeSipWebSocket;
  let meetingId: string;
  let spool: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** As an operator's upload: the bytes spooled, then handed to the documents service. */
  const upload = async (bytes: Buffer, name: string) => {
    const path = join(spool, name.normalize('NFC').replace(/[^\w.]/g, '_'));
    await writeFile(path, bytes);
    return server.documents.add(meetingId, { path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), givenName: name }, cliActor);
  };

  before(async function () {
    requireChromium(this, 'join page documents');
    await mkdir(OUT, { recursive: true });
    spool = await mkdtemp(join(tmpdir(), 'diemcau-doc-spool-'));
    web = await buildWebPage({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-web-')) });
    sip = await FakeSipWebSocket.start();
    server = await JoinServer.start({ webDir: web.outDir, wsServers: [sip.url] });
    meetingId = await server.book({ room: 2001, title: 'Giao ban trực tuyến tháng 12', startsIn: -10, lasts: 120, pin: '2468' });
    await upload(docxFile(), 'Chương trình họp.docx');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--use-fake-ui-for-media-stream', ...MEDIA_FLAGS] });
  });

  after(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await browser?.close();
    await server?.close();
    await sip?.close();
    if (web) await rm(web.outDir, { recursive: true, force: true });
    if (spool) await rm(spool, { recursive: true, force: true });
  });

  /** A guest on the join page of room 2001, in the call (the fake bridge answers from another tab). */
  async function guestInCall(name: string): Promise<Page> {
    const context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await context.newPage(); // the bridge's tab: sip.onInvite answers from it
    await page.goto(`${server.base}/join/2001`);
    await page.bringToFront();
    await page.locator('#meeting-title').waitFor();
    await page.fill('#name', name);
    await page.fill('#pin', '2468');
    await page.click('#join');
    await until(page, `window.__diemcau.state === 'in-call'`, 15_000);
    return page;
  }

  const names = (page: Page) => page.locator('#documents-list a').allTextContents();

  it('lists the documents with download links, and shows a new upload on every open page', async () => {
    sip.onInvite = async (invite) => {
      const bridge = contexts.at(-1)!.pages()[1]!;
      return { status: 200, phrase: 'OK', sdp: await answerOffer(bridge, invite.body) };
    };
    const first = await guestInCall('Nguyễn Thị Lan');
    const second = await guestInCall('Trần Văn Bình');
    for (const page of [first, second]) {
      await until(page, `document.querySelectorAll('#documents-list a').length === 1`);
      assert.deepEqual(await names(page), ['Chương trình họp.docx']);
      assert.equal(await page.locator('#documents-title').textContent(), 'Tài liệu cuộc họp');
      assert.ok(await page.locator('#documents-empty').isHidden());
    }

    const [download] = await Promise.all([first.waitForEvent('download'), first.click('#documents-list a')]);
    assert.equal(download.suggestedFilename(), 'Chương trình họp.docx');

    const added = await upload(pdfFile(), REPORT);
    for (const page of [first, second]) {
      await until(page, `document.querySelectorAll('#documents-list a').length === 2`, 5000);
      assert.deepEqual(await names(page), ['Chương trình họp.docx', REPORT]);
      assert.equal(await page.locator('#documents-news').textContent(), `Tài liệu mới: ${REPORT}`);
    }
    const href = await second.locator('#documents-list a').nth(1).getAttribute('href');
    const fetched = (await second.evaluate(
      `fetch(${JSON.stringify(href)}).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength }))`,
    )) as { status: number; type: string; size: number };
    assert.deepEqual(fetched, { status: 200, type: 'application/pdf', size: added.size });
    await first.screenshot({ path: join(OUT, 'join-documents-in-call.png'), fullPage: true });
    // axe-core, evaluated over the DevTools protocol: the page's CSP forbids injecting a script tag.
    await first.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const axe = (await first.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as { violations: { id: string; impact: string }[] };
    assert.deepEqual(
      axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      [],
    );
    await second.setViewportSize({ width: 360, height: 740 });
    assert.ok(((await second.evaluate('document.documentElement.scrollWidth')) as number) <= 360, 'a long Vietnamese name wraps on a phone');

    // English redraws the panel too.
    await first.click('button[data-lang="en"]');
    assert.equal(await first.locator('#documents-title').textContent(), 'Meeting documents');

    await server.documents.remove(meetingId, added.id, cliActor);
    await until(second, `document.querySelectorAll('#documents-list a').length === 1`, 5000);
    assert.deepEqual(pageErrors, []);
  });
});
