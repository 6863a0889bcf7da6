import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ContentShares } from '../../src/meetings/content-shares';
import { pdfFile } from '../support/document-files';
import { FakeContent } from '../support/fake-content';
import { seedLiveMeeting } from '../support/live-meeting';
import { axeViolations, ConsoleFixture, LAPTOP, overflow, PHONE, screenshot } from './console-fixture';

/** One console page: where it is, and what shows it has loaded. */
interface ConsolePage {
  name: string;
  hash: () => string;
  ready: (page: Page) => Promise<void>;
}

/**
 * Every page of the console, in both languages and on both screens: no serious or critical axe-core
 * violation, nothing wider than the screen, and a screenshot of each for a person to look at.
 * A page added to the console is added here.
 */
describe('operator console: every page, laptop and phone, Vietnamese and English', function () {
  this.timeout(120_000);
  const fixture = new ConsoleFixture();
  let meetingId = '';
  let liveMeetingId = '';
  // Content sharing where one site presents (the live page's banner).
  const content = new FakeContent();

  const PAGES: ConsolePage[] = [
    { name: 'today', hash: () => 'today', ready: (p) => p.getByRole('heading', { name: /Sắp diễn ra|Coming up/ }).waitFor() },
    { name: 'meetings', hash: () => 'meetings', ready: (p) => p.getByText('Họp giao ban tuần').first().waitFor() },
    { name: 'meetings-list', hash: () => 'meetings/list', ready: (p) => p.getByText('Họp giao ban tuần').first().waitFor() },
    {
      name: 'meeting',
      hash: () => `meetings/${meetingId}`,
      ready: async (p) => {
        await p.getByRole('textbox', { name: /Thư mời|Invitation/ }).waitFor();
        await p.getByRole('cell', { name: 'MP4' }).waitFor();
        await p.getByRole('link', { name: /\.pdf$/ }).waitFor();
      },
    },
    {
      name: 'booking',
      hash: () => 'meetings/new',
      ready: (p) =>
        p
          .getByRole('checkbox', { name: /Xã Ia Grai/ })
          .first()
          .waitFor(),
    },
    {
      name: 'booking-edit',
      hash: () => `meetings/${meetingId}/edit`,
      ready: (p) =>
        p
          .getByRole('checkbox', { name: /Xã Ia Grai/ })
          .first()
          .waitFor(),
    },
    {
      name: 'live',
      hash: () => `meetings/${liveMeetingId}/live`,
      ready: async (p) => {
        await p.getByText('Xã Ia Grai').first().waitFor();
        await p.getByRole('button', { name: /Dừng trình chiếu|Stop presenting/ }).waitFor();
      },
    },
    {
      name: 'attendance',
      hash: () => `meetings/${meetingId}/attendance`,
      ready: async (p) => {
        await p.getByRole('table').first().waitFor();
        await p.getByRole('heading', { name: /^(Trình chiếu|Presentations)$/ }).waitFor();
      },
    },
    {
      name: 'sites',
      hash: () => 'sites',
      // The directory holds 360 sites here: a search brings the registered one into the first page.
      ready: async (p) => {
        await p.getByLabel(/Tìm theo tên hoặc mã|Search by name or code/).fill('ia-grai');
        await p
          .locator('tr[data-code="ia-grai"]')
          .getByText(/Đã đăng ký|Registered/)
          .waitFor();
      },
    },
    { name: 'sites-form', hash: () => 'sites', ready: (p) => openTab(p, /^(Thêm điểm cầu|Add a site)$/, /Kết nối|Connection/) },
    { name: 'sites-groups', hash: () => 'sites', ready: (p) => openTab(p, /^(Nhóm điểm cầu|Site groups)$/, /Cụm phía Bắc/) },
    { name: 'sites-import', hash: () => 'sites', ready: (p) => openTab(p, /^(Nhập từ tệp CSV|Import from CSV)$/, /code/) },
    { name: 'admin-keys', hash: () => 'admin/keys', ready: (p) => p.getByRole('columnheader', { name: /Dùng lần cuối|Last used/ }).waitFor() },
    {
      name: 'admin-operators',
      hash: () => 'admin/operators',
      ready: (p) => p.getByRole('columnheader', { name: /Đăng nhập lần cuối|Last sign-in/ }).waitFor(),
    },
    { name: 'admin-audit', hash: () => 'admin/audit', ready: (p) => p.getByRole('cell', { name: 'meeting.create' }).first().waitFor() },
    { name: 'account', hash: () => 'account', ready: (p) => p.getByRole('heading', { name: /Đổi mật khẩu|Change password/ }).waitFor() },
  ];

  /** A view of the Sites page behind a button. The address does not change with it: reload to start from the table. */
  const openTab = async (page: Page, button: RegExp, shows: RegExp) => {
    await page.reload();
    await page.locator('tr[data-code]').first().waitFor();
    await page.getByRole('button', { name: button }).click();
    await page.getByText(shows).first().waitFor();
  };

  before(async function () {
    await fixture.setup(this, 'console pages in Chromium', { content });
    const { api } = fixture;
    for (const [code, name] of [
      ['ia-grai', 'Xã Ia Grai'],
      ['dak-doa', 'Thị trấn Đak Đoa'],
    ]) {
      const site = await api.request('POST', '/api/v1/sites', { json: { code, name, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}` } });
      assert.equal(site.status, 201, site.text);
    }
    // A district's worth of sites for the Sites page: communes in clusters, some registered.
    const communes = Array.from(
      { length: 58 },
      (_, i) => `xa-${i + 1},Xã số ${i + 1},sip:xa-${i + 1}@10.20.${i + 1}.5,Polycom Group 500,${i % 2 ? 1024 : 768}`,
    );
    const imported = await api.request('POST', '/api/v1/sites/import', {
      body: ['code,name,sipUri,deviceModel,bandwidthKbps', ...communes].join('\n'),
      contentType: 'text/csv',
    });
    assert.equal(imported.status, 200, imported.text);
    const group = await api.request('POST', '/api/v1/site-groups', {
      json: { code: 'cum-bac', name: 'Cụm phía Bắc', description: 'Các xã phía Bắc huyện', sites: ['ia-grai', 'xa-1', 'xa-2'] },
    });
    assert.equal(group.status, 201, group.text);
    await api.ds.query(
      `INSERT INTO registration (site_id, contact, call_id, cseq, user_agent, source_address, source_port, transport, expires_at)
       SELECT id, 'sip:' || code || '@192.0.2.9', code, 1, 'Polycom RealPresence Group 500/6.2.2', '192.0.2.9', 5060, 'udp', now() + interval '1 hour'
         FROM site WHERE code IN ('ia-grai', 'xa-1', 'xa-3', 'xa-5')`,
    );
    const start = new Date(Date.now() - 10 * 60_000);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: {
        title: 'Họp giao ban tuần',
        roomNumber: 2011,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        invitedSites: ['ia-grai', 'dak-doa'],
      },
    });
    assert.equal(booked.status, 201, booked.text);
    meetingId = booked.body.id;
    // The meeting page's documents and recordings tables, with a long Vietnamese file name.
    const rec = await api.recordings.begin(meetingId, 'mp4');
    writeFileSync(api.recordings.pathOf(rec), Buffer.alloc(2048));
    await api.recordings.finish(rec.id);
    const form = new FormData();
    form.append('file', new Blob([pdfFile()], { type: 'application/pdf' }), 'Báo cáo tình hình phòng chống lụt bão quý ba năm 2026.pdf');
    const uploaded = await fetch(`${api.base}/api/v1/meetings/${meetingId}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.operator}` },
      body: form,
    });
    assert.equal(uploaded.status, 201, await uploaded.text());
    // The attendance page's presentations: one ended, one going on.
    const shares = new ContentShares(api.ds);
    const share = await shares.started(meetingId, { participantId: null, name: 'Xã Ia Grai', siteId: null, protocol: 'sip', since: start });
    await shares.ended(share, 'taken-over', new Date(start.getTime() + 5 * 60_000));
    await shares.started(meetingId, {
      participantId: null,
      name: 'Thị trấn Đak Đoa',
      siteId: null,
      protocol: 'h323',
      since: new Date(start.getTime() + 5 * 60_000),
    });
    // The live page as a big meeting shows it: 300 tiles, the controls of a live meeting, and who presents.
    liveMeetingId = (await seedLiveMeeting(api, 300, 2050, 'lv')).meetingId;
    content.present(liveMeetingId, { participantId: null, name: 'Xã Ia Grai', siteId: null, protocol: 'sip', since: new Date() });
  });

  after(() => fixture.teardown());

  for (const viewport of [LAPTOP, PHONE]) {
    const screen = viewport === LAPTOP ? 'laptop' : 'phone';
    it(`every page on a ${viewport.width}×${viewport.height} ${screen}: accessible, fits, both languages`, async () => {
      const { context, page, errors } = await fixture.signedIn('admin', 'today', { viewport, bypassCSP: true });
      const problems: string[] = [];
      for (const spec of PAGES) {
        for (const language of ['vi', 'en'] as const) {
          await page.goto(`${fixture.api.base}/console#${spec.hash()}`);
          if ((await page.locator('html').getAttribute('lang')) !== language) {
            await page.getByRole('button', { name: language === 'en' ? 'English' : 'Tiếng Việt' }).click();
          }
          await spec.ready(page);
          for (const v of await axeViolations(page)) problems.push(`${spec.name} (${language}): ${v}`);
          const wider = await overflow(page);
          if (wider > 0) problems.push(`${spec.name} (${language}): ${wider} px wider than the screen`);
          await screenshot(page, `console-${spec.name}-${screen}-${language}`);
        }
      }
      assert.deepEqual(problems, []);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  // Last: it takes the floor away from the presenter the pages above show.
  it('stops a presentation from the live page with the keyboard alone', async () => {
    const { context, page, errors } = await fixture.signedIn('operator', `meetings/${liveMeetingId}/live`, { viewport: LAPTOP });
    const stop = page.getByRole('button', { name: 'Dừng trình chiếu' });
    await stop.waitFor();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Dừng trình chiếu';
    }
    assert.ok(reached, 'Tab reaches the stop button');
    await page.keyboard.press('Enter');
    await page.getByText(/Đang trình chiếu/).waitFor({ state: 'detached' });
    assert.deepEqual(content.stops, [liveMeetingId]);
    assert.equal(content.presenter(liveMeetingId), null);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
