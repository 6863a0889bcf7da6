import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { ConsoleFixture, screenshot } from './console-fixture';

const ZONE = 'Asia/Ho_Chi_Minh';
const PUBLIC_URL = 'https://hop.chuse.gialai.gov.vn';

/** Tomorrow in the district, as YYYY-MM-DD: far enough ahead that a booking is never already over. */
function districtTomorrow(): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(Date.now() + 24 * 3600_000),
  );
  return parts;
}

/** Whether `date` falls in the district's current Monday-to-Sunday week. */
function inThisWeek(date: string): boolean {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const monday = (d: string) => {
    const t = new Date(`${d}T00:00:00Z`);
    return t.getTime() - ((t.getUTCDay() + 6) % 7) * 24 * 3600_000;
  };
  return monday(date) === monday(today);
}

/** Presses a key and checks where the focus went: the keyboard's path through the form is part of what is tested. */
async function press(page: Page, key: string, expectFocusOn?: string): Promise<void> {
  await page.keyboard.press(key);
  if (expectFocusOn) assert.equal(await page.evaluate('document.activeElement?.id || document.activeElement?.textContent'), expectFocusOn, `after ${key}`);
}

/**
 * The id of the focused element once it is `id`, or whatever has the focus after 2 s. The form moves
 * the focus in an effect, after the render that shows the message: reading it at once races that.
 */
async function focusSettlesOn(page: Page, id: string): Promise<string> {
  await page.waitForFunction(`document.activeElement?.id === ${JSON.stringify(id)}`, undefined, { timeout: 2000 }).catch(() => undefined);
  return page.evaluate('document.activeElement?.id ?? ""');
}

/**
 * Tab, once or more, to the element `id`: date and time inputs keep the focus for their own parts
 * and picker button, whose number depends on the browser's locale.
 */
async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement?.id')) === id) return;
  }
  assert.fail(`Tab does not reach #${id}`);
}

/**
 * What to type into this Chromium's date and time inputs: they take digits in the order of the
 * browser's own locale (not the page's), day or month first, 24 or 12 hours. Found on a blank page.
 */
async function typedFormats(context: BrowserContext): Promise<{ date: (d: string) => string; time: (t: string) => string }> {
  const probe = await context.newPage();
  await probe.setContent('<input id="d" type="date"><input id="t" type="time">');
  await probe.focus('#d');
  await probe.keyboard.type('01022026');
  const dayFirst = (await probe.inputValue('#d')) === '2026-02-01';
  // An hour past 12 would not tell: a 12-hour field takes "13" as 1 PM. "0130" without a period is
  // a whole time only in a 24-hour field; a 12-hour one keeps the period it had (a form's default
  // end at 12:00 would turn a typed 10:30 into 22:30), so the period is always typed there.
  await probe.focus('#t');
  await probe.keyboard.type('0130');
  const h24 = (await probe.inputValue('#t')) === '01:30';
  await probe.close();
  const [y, m, d] = [(s: string) => s.slice(0, 4), (s: string) => s.slice(5, 7), (s: string) => s.slice(8, 10)];
  return {
    date: (s) => (dayFirst ? `${d(s)}${m(s)}${y(s)}` : `${m(s)}${d(s)}${y(s)}`),
    time: (t) => {
      const hour = Number(t.slice(0, 2));
      return h24 ? t.replace(':', '') : `${String(hour % 12 || 12).padStart(2, '0')}${t.slice(3, 5)}${hour < 12 ? 'A' : 'P'}`;
    },
  };
}

/**
 * Booking a meeting in the console, in Chromium against the real API: with the keyboard alone, a
 * clash refused and shown with the meeting in the way, the meeting's page with the ways to join and
 * the invitation to copy, then changing and cancelling it.
 */
describe('operator console: booking meetings', function () {
  this.timeout(120_000);
  const fixture = new ConsoleFixture();
  const date = districtTomorrow();
  let meetingId = '';

  before(async function () {
    await fixture.setup(this, 'booking in Chromium', { publicUrl: PUBLIC_URL, h323Enabled: true });
    const { api } = fixture;
    // 300 communes and the two the tests look for: the picker has to find one among many.
    const rows = ['code,name', 'ia-pal,Xã Ia Pal', 'chu-se,Thị trấn Chư Sê', ...Array.from({ length: 298 }, (_, i) => `xa-${i},Xã Số ${i}`)];
    const imported = await api.request('POST', '/api/v1/sites/import', { body: rows.join('\n'), contentType: 'text/csv' });
    assert.equal(imported.status, 200, imported.text);
    const group = await api.request('POST', '/api/v1/site-groups', { json: { code: 'cum-bac', name: 'Cụm phía Bắc', sites: ['xa-1', 'xa-2'] } });
    assert.equal(group.status, 201, group.text);
  });

  after(() => fixture.teardown());

  const meetingsInRoom = async (room: number) => (await fixture.api.request('GET', `/api/v1/meetings?room=${room}`)).body.items;

  it('books a meeting with the keyboard alone, and shows it in the week and in the list', async () => {
    const { context, page, errors } = await fixture.signedIn('operator', 'meetings', { locale: 'vi-VN' });
    await page.getByRole('heading', { name: /^Tuần / }).waitFor();
    await screenshot(page, 'booking-1-week-before');
    // The "Book a meeting" link, reached by Tab from the view switch.
    await page.getByRole('link', { name: 'Danh sách' }).focus();
    await press(page, 'Tab', 'Đặt lịch họp');
    await press(page, 'Enter');
    await page.getByRole('heading', { name: 'Đặt lịch họp' }).waitFor();
    await page.getByLabel('Tên cuộc họp').focus();
    await page.keyboard.type('Giao ban phòng chống lụt bão');
    await press(page, 'Tab', 'm-date');
    const keys = await typedFormats(context);
    await page.keyboard.type(keys.date(date));
    await tabTo(page, 'm-start');
    await page.keyboard.type(keys.time('09:00'));
    await tabTo(page, 'm-end');
    await page.keyboard.type(keys.time('10:30'));
    await tabTo(page, 'm-room');
    await page.keyboard.type('2050');
    await press(page, 'Tab', 'm-pin');
    await page.keyboard.type('2468');
    await press(page, 'Tab', 'm-site-search');
    await page.keyboard.type('ia pal');
    await page.getByText('Đã chọn 0 điểm cầu, đang hiện 1').waitFor();
    await press(page, 'Enter'); // searches, does not submit
    await press(page, 'Tab', 'Chọn cả 1 điểm cầu đang hiện');
    await press(page, 'Tab');
    assert.equal(await page.evaluate('document.activeElement.closest("label").textContent.trim()'), 'Xã Ia Pal ia-pal');
    await press(page, 'Space');
    await page.getByText('Đã chọn 1 điểm cầu, đang hiện 1: Xã Ia Pal').waitFor();
    await press(page, 'Tab', 'm-groups');
    await press(page, 'Space');
    await press(page, 'Tab', 'm-chair');
    await press(page, 'Tab', 'm-mode');
    await press(page, 'Tab', 'm-language');
    await press(page, 'Tab', 'm-content-policy');
    await press(page, 'ArrowDown');
    assert.equal(await page.inputValue('#m-content-policy'), 'queue', 'a second presenter waits: "Xếp hàng chờ"');
    await press(page, 'Tab', 'm-dial-out');
    await press(page, 'Space');
    await press(page, 'Tab', 'm-guests');
    await press(page, 'Tab', 'Đặt lịch');
    await screenshot(page, 'booking-2-form-filled');
    await press(page, 'Enter');

    await page.getByRole('heading', { name: 'Giao ban phòng chống lụt bão' }).waitFor();
    const [booked] = await meetingsInRoom(2050);
    assert.ok(booked, 'the meeting is booked');
    meetingId = booked.id;
    assert.equal(new URL(page.url()).hash, `#meetings/${meetingId}`);
    assert.equal(booked.startsAt, new Date(`${date}T09:00:00+07:00`).toISOString(), '09:00 in the district');
    assert.equal(booked.endsAt, new Date(`${date}T10:30:00+07:00`).toISOString());
    assert.equal(booked.pin, '2468');
    assert.equal(booked.dialOut, true);
    assert.equal(booked.allowGuests, false);
    assert.equal(booked.contentPolicy, 'queue');
    assert.deepEqual(
      booked.invitedGroups.map((g: { code: string }) => g.code),
      ['cum-bac'],
    );
    assert.deepEqual(booked.invitedSites.map((s: { code: string }) => s.code).sort(), ['ia-pal', 'xa-1', 'xa-2']);
    await screenshot(page, 'booking-3-detail');

    await page.goto(`${fixture.api.base}/console#meetings`);
    if (!inThisWeek(date)) await page.getByRole('button', { name: 'Tuần sau →' }).click();
    const row = page.getByRole('listitem').filter({ hasText: 'Giao ban phòng chống lụt bão' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /09:00–10:30/);
    assert.equal(await row.getByRole('link', { name: 'Giao ban phòng chống lụt bão' }).getAttribute('href'), `#meetings/${meetingId}`);
    await screenshot(page, 'booking-4-week-after');

    await page.getByRole('link', { name: 'Danh sách' }).click();
    const listed = page.getByRole('listitem').filter({ hasText: 'Giao ban phòng chống lụt bão' });
    await listed.waitFor();
    assert.match((await listed.textContent()) ?? '', /09:00–10:30.*Phòng 2050.*Chưa bắt đầu/s);
    await screenshot(page, 'booking-5-list');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a clash with the meeting in the way, and books nothing', async () => {
    assert.ok(meetingId, 'needs the first test');
    const before = (await fixture.api.request('GET', '/api/v1/meetings')).body.total;
    const { context, page, errors } = await fixture.signedIn('operator', 'meetings/new', { locale: 'vi-VN' });
    await page.getByLabel('Tên cuộc họp').fill('Họp trùng phòng');
    await page.getByLabel('Ngày').fill(date);
    await page.getByLabel('Giờ bắt đầu').fill('10:00');
    await page.getByLabel('Giờ kết thúc').fill('11:00');
    await page.getByLabel('Số phòng họp').fill('2050');
    await page.getByRole('button', { name: 'Đặt lịch' }).click();
    const clash = page.getByRole('alert').filter({ hasText: 'Trùng lịch' });
    await clash.waitFor();
    assert.match((await clash.textContent()) ?? '', /Phòng 2050 đã có cuộc họp Giao ban phòng chống lụt bão \(09:00–10:30, .*Phòng 2050\)/s);
    assert.equal(await clash.getByRole('link', { name: 'Giao ban phòng chống lụt bão' }).getAttribute('href'), `#meetings/${meetingId}`);
    assert.equal(await focusSettlesOn(page, 'conflict'), 'conflict', 'the clash takes the focus, for a keyboard and a screen reader');
    await screenshot(page, 'booking-6-room-clash');

    // Another room, but a site that is in the first meeting then.
    await page.getByLabel('Số phòng họp').fill('2051');
    await page.getByLabel(/Tìm điểm cầu/).fill('Ia Pal');
    await page.getByRole('checkbox', { name: 'Xã Ia Pal ia-pal' }).check();
    await page.getByRole('button', { name: 'Đặt lịch' }).click();
    await page.getByRole('alert').filter({ hasText: 'Xã Ia Pal đã được mời vào cuộc họp Giao ban phòng chống lụt bão' }).waitFor();
    await screenshot(page, 'booking-7-site-clash');

    // A field the API refuses is named next to it.
    await page.getByLabel('Mã PIN').fill('12');
    await page.getByRole('button', { name: 'Đặt lịch' }).click();
    await page.getByText('must be 4 to 10 digits').waitFor();
    assert.equal(await page.getByLabel('Mã PIN').getAttribute('aria-invalid'), 'true');
    assert.equal(await focusSettlesOn(page, 'm-pin'), 'm-pin', 'the refused field takes the focus');
    await screenshot(page, 'booking-8-field-error');

    assert.equal((await fixture.api.request('GET', '/api/v1/meetings')).body.total, before, 'nothing was booked');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("shows a meeting's ways to join, its calendar file, and copies its invitation", async () => {
    assert.ok(meetingId, 'needs the first test');
    const { context, page, errors } = await fixture.signedIn('operator', `meetings/${meetingId}`, { locale: 'vi-VN' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fixture.api.base });
    await page.getByRole('heading', { name: 'Cách tham gia' }).waitFor();
    // The navigation bar says which section this page is in.
    assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Lịch họp' }).getAttribute('aria-current'), 'true');
    await page.getByRole('link', { name: `${PUBLIC_URL}/join/2050` }).waitFor();
    await page.getByText('sip:2050*2468@bridge.test').waitFor();
    await page.getByText('2050*2468', { exact: true }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải tệp lịch (.ics)' }).click()]);
    assert.match(download.suggestedFilename(), /^meeting-2050-\d{4}-\d{2}-\d{2}\.ics$/);
    const ics = await readFile((await download.path())!, 'utf8');
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /SUMMARY:Giao ban phòng chống lụt bão\r\n/);
    assert.match(ics, /DTSTART:\d{8}T020000Z\r\n/, '09:00 in the district is 02:00 UTC');
    const response = await context.request.get(`${fixture.api.base}${await page.getByRole('link', { name: 'Tải tệp lịch (.ics)' }).getAttribute('href')}`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] ?? '', /^text\/calendar/);

    const text = await page.getByRole('textbox', { name: 'Thư mời gửi các xã' }).inputValue();
    assert.match(text, /Mời dự họp trực tuyến: Giao ban phòng chống lụt bão/);
    assert.match(text, new RegExp(`${PUBLIC_URL}/join/2050`));
    await page.getByRole('button', { name: 'Sao chép' }).click();
    await page.getByText('Đã sao chép thư mời.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), text);
    await screenshot(page, 'booking-9-copied');

    // Where the clipboard is refused, the text is selected for Ctrl+C.
    await page.evaluate("navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))");
    await page.getByRole('button', { name: 'Sao chép' }).click();
    await page.getByText('Đã chọn toàn bộ thư mời: nhấn Ctrl+C để sao chép.').waitFor();
    const selection = await page.evaluate('[document.activeElement.id, document.activeElement.selectionStart, document.activeElement.selectionEnd]');
    assert.deepEqual(selection, ['invitation-text', 0, text.length]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('changes and then cancels the meeting; a viewer can do neither', async () => {
    assert.ok(meetingId, 'needs the first test');
    const viewer = await fixture.signedIn('viewer', `meetings/${meetingId}`, { locale: 'vi-VN' });
    await viewer.page.getByRole('heading', { name: 'Cách tham gia' }).waitFor();
    assert.equal(await viewer.page.getByRole('link', { name: 'Sửa' }).count(), 0);
    assert.equal(await viewer.page.getByRole('button', { name: 'Hủy cuộc họp' }).count(), 0);
    await viewer.page.goto(`${fixture.api.base}/console#meetings`);
    await viewer.page.getByRole('heading', { name: /^Tuần / }).waitFor();
    assert.equal(await viewer.page.getByRole('link', { name: 'Đặt lịch họp' }).count(), 0);
    await viewer.context.close();

    const { context, page, errors } = await fixture.signedIn('operator', `meetings/${meetingId}`, { locale: 'vi-VN' });
    await page.getByRole('link', { name: 'Sửa' }).click();
    await page.getByRole('heading', { name: /Sửa cuộc họp/ }).waitFor();
    assert.equal(await page.getByLabel('Giờ bắt đầu').inputValue(), '09:00');
    assert.equal(await page.getByLabel('Số phòng họp').inputValue(), '2050');
    await page.getByLabel('Tên cuộc họp').fill('Giao ban phòng chống lụt bão (dời giờ)');
    await page.getByLabel('Giờ kết thúc').fill('11:15');
    await screenshot(page, 'booking-10-edit');
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByRole('heading', { name: 'Giao ban phòng chống lụt bão (dời giờ)' }).waitFor();
    const changed = (await fixture.api.request('GET', `/api/v1/meetings/${meetingId}`)).body;
    assert.equal(changed.endsAt, new Date(`${date}T11:15:00+07:00`).toISOString());
    assert.equal(changed.invitedSites.length, 3, 'the invitation is left as it was');

    await page.getByRole('button', { name: 'Hủy cuộc họp' }).click();
    await page.getByRole('group', { name: 'Hủy cuộc họp này?' }).waitFor();
    await screenshot(page, 'booking-11-cancel-confirm');
    await page.getByRole('button', { name: 'Không' }).click();
    assert.equal((await fixture.api.request('GET', `/api/v1/meetings/${meetingId}`)).body.status, 'scheduled', '"No" keeps it');
    await page.getByRole('button', { name: 'Hủy cuộc họp' }).click();
    await page.getByRole('button', { name: 'Có, hủy cuộc họp' }).click();
    await page.getByText('Đã hủy', { exact: true }).waitFor();
    assert.equal((await fixture.api.request('GET', `/api/v1/meetings/${meetingId}`)).body.status, 'cancelled');
    assert.equal(await page.getByRole('link', { name: 'Sửa' }).count(), 0, 'a cancelled meeting no longer changes');
    await screenshot(page, 'booking-12-cancelled');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
