import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
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

  const PAGES: ConsolePage[] = [
    { name: 'today', hash: () => 'today', ready: (p) => p.getByRole('heading', { name: /Sắp diễn ra|Coming up/ }).waitFor() },
    { name: 'meetings', hash: () => 'meetings', ready: (p) => p.getByText('Họp giao ban tuần').first().waitFor() },
    { name: 'meetings-list', hash: () => 'meetings/list', ready: (p) => p.getByText('Họp giao ban tuần').first().waitFor() },
    { name: 'meeting', hash: () => `meetings/${meetingId}`, ready: (p) => p.getByRole('textbox', { name: /Thư mời|Invitation/ }).waitFor() },
    { name: 'booking', hash: () => 'meetings/new', ready: (p) => p.getByRole('checkbox', { name: /Xã Ia Grai/ }).waitFor() },
    { name: 'booking-edit', hash: () => `meetings/${meetingId}/edit`, ready: (p) => p.getByRole('checkbox', { name: /Xã Ia Grai/ }).waitFor() },
    { name: 'live', hash: () => `meetings/${meetingId}/live`, ready: (p) => p.getByText('Xã Ia Grai').first().waitFor() },
    { name: 'attendance', hash: () => `meetings/${meetingId}/attendance`, ready: (p) => p.getByRole('table').first().waitFor() },
  ];

  before(async function () {
    await fixture.setup(this, 'console pages in Chromium');
    const { api } = fixture;
    for (const [code, name] of [
      ['ia-grai', 'Xã Ia Grai'],
      ['dak-doa', 'Thị trấn Đak Đoa'],
    ]) {
      const site = await api.request('POST', '/api/v1/sites', { json: { code, name, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}` } });
      assert.equal(site.status, 201, site.text);
    }
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
});
