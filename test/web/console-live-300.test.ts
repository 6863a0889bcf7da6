import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { type LiveMeeting, seedLiveMeeting, siteName } from '../support/live-meeting';
import { until } from './chromium';
import { ConsoleFixture, overflow, PHONE, screenshot } from './console-fixture';

const SITES = 300;

/**
 * The live page of a 300-site meeting in Chromium, on the test API (no SIP side): events published
 * on the server move the right tiles, the filters and the search narrow the list, a dropped stream
 * shows the reconnecting notice and the roster is read again after it, and the ad-hoc dial and the
 * layout picker reach the API and show what it answered.
 */
describe('operator console: the live page of a 300-site meeting', function () {
  this.timeout(120_000);
  const fixture = new ConsoleFixture();
  let meeting: LiveMeeting;
  let page: Page;

  const tiles = () => page.getByRole('list', { name: 'Các điểm cầu' }).getByRole('listitem');
  const tile = (n: number) => tiles().filter({ has: page.getByText(siteName(n), { exact: true }) });
  const show = async (filter: string) => page.getByLabel('Hiển thị').selectOption(filter);
  const counted = (text: string) => page.locator('.counts').getByText(text).waitFor();

  before(async function () {
    await fixture.setup(this, 'the 300-site live page in Chromium');
    meeting = await seedLiveMeeting(fixture.api, SITES);
    ({ page } = await fixture.signedIn('operator', `meetings/${meeting.meetingId}/live`));
    await counted(`0/${SITES} điểm cầu đã vào · 0 khách`);
  });

  after(() => fixture.teardown());

  it('shows a tile per invited site; events on the server move the right tiles and the counts', async () => {
    assert.equal(await tiles().count(), SITES);
    for (let n = 1; n <= 100; n++) {
      meeting.publish({
        type: 'participant.joined',
        participant: { id: `p-${n}`, name: siteName(n), siteId: meeting.siteIds[n - 1]!, protocol: 'sip', direction: 'out', moderator: n === 1 },
      });
    }
    const outcome = (n: number, outcome: string, sipStatus: number | null, retryInMs: number | null) =>
      meeting.publish({ type: 'dial.outcome', siteId: meeting.siteIds[n - 1]!, attempt: 1, outcome, sipStatus, retryInMs, target: `sip:xa-${n}@x` });
    outcome(101, 'busy', 486, 30_000);
    outcome(102, 'unreachable', null, null);
    outcome(103, 'rejected', 603, null);
    meeting.publish({ type: 'dial.attempt', siteId: meeting.siteIds[103]!, attempt: 2, target: 'sip:xa-104@x' });
    meeting.publish({ type: 'participant.talking', participantId: 'p-7', talking: true });
    meeting.publish({
      type: 'participant.joined',
      participant: { id: 'g-1', name: 'Anh Tuấn (trình duyệt)', siteId: null, protocol: 'webrtc', direction: 'in', moderator: false },
    });
    await counted(`100/${SITES} điểm cầu đã vào · 1 khách`);
    await page.locator('.tile.talking').first().waitFor();
    assert.deepEqual(await page.locator('.tiles .tile.talking .name').allTextContents(), [siteName(7)]);
    assert.match((await tile(101).textContent()) ?? '', /Máy bận, gọi lại sau (29|30) giây/);
    assert.match((await tile(102).textContent()) ?? '', /Không liên lạc được/);
    assert.match((await tile(103).textContent()) ?? '', /Từ chối cuộc gọi/);
    assert.match((await tile(104).textContent()) ?? '', /Đang gọi \(lần 2\)/);
    assert.match((await tile(1).textContent()) ?? '', /Đã vào · chủ trì/);
    assert.equal(await tile(200).getAttribute('class'), 'tile waiting');
    assert.deepEqual(await page.getByRole('list', { name: 'Số điểm cầu theo trạng thái' }).getByRole('listitem').allTextContents(), [
      'Đã vào 100',
      'Đang gọi 1',
      'Chờ gọi lại 1',
      'Không liên lạc được 1',
      'Từ chối 1',
      'Chưa vào 196',
    ]);
    meeting.publish({ type: 'participant.talking', participantId: 'p-7', talking: false });
    meeting.publish({ type: 'participant.talking', participantId: 'p-42', talking: true });
    await tile(42).and(page.locator('.talking')).waitFor();
    assert.deepEqual(await page.locator('.tiles .tile.talking .name').allTextContents(), [siteName(42)]);
    await screenshot(page, 'console-live-300-laptop');
  });

  it('filters by state and finds a site by name without its diacritics', async () => {
    await show('in');
    assert.equal(await tiles().count(), 100);
    await show('out');
    assert.equal(await tiles().count(), SITES - 100);
    await show('problems');
    assert.deepEqual(await tiles().locator('.name').allTextContents(), [siteName(101), siteName(102), siteName(103)]);
    // A tile leaves a filtered list when its state leaves the filter.
    meeting.publish({
      type: 'participant.joined',
      participant: { id: 'p-101', name: siteName(101), siteId: meeting.siteIds[100]!, protocol: 'sip', direction: 'out', moderator: false },
    });
    await until(page, 'document.querySelectorAll(\'[aria-label="Các điểm cầu"] > li\').length === 2');
    await show('all');
    await page.getByLabel('Tìm điểm cầu theo tên').fill('dak doa 3');
    assert.deepEqual(await tiles().locator('.name').allTextContents(), ['Xã Đak Đoa 3']);
    await page.getByLabel('Tìm điểm cầu theo tên').fill('không có xã này');
    await page.getByText('Không có điểm cầu nào khớp.').waitFor();
    await page.getByLabel('Tìm điểm cầu theo tên').fill('');
    assert.equal(await tiles().count(), SITES);
  });

  it('says it is reconnecting when the stream drops, and reads the roster again once back', async () => {
    // Nothing is in the roster of an API without a SIP side: the re-read empties the tiles the events filled.
    const reread = page.waitForRequest((r) => r.url().endsWith(`/meetings/${meeting.meetingId}/participants`));
    await page.route('**/events', (r) => r.abort());
    fixture.api.server.closeAllConnections();
    await page.getByRole('status').filter({ hasText: 'Mất kết nối, đang kết nối lại…' }).waitFor();
    await screenshot(page, 'console-live-300-reconnecting');
    await page.unroute('**/events');
    await reread;
    await counted(`0/${SITES} điểm cầu đã vào · 0 khách`);
    await page.getByText('Mất kết nối, đang kết nối lại…').waitFor({ state: 'detached' });
    // And the stream is live again.
    meeting.publish({ type: 'participant.talking', participantId: 'nobody', talking: true });
    meeting.publish({
      type: 'participant.joined',
      participant: { id: 'p-5', name: siteName(5), siteId: meeting.siteIds[4]!, protocol: 'sip', direction: 'out', moderator: false },
    });
    await counted(`1/${SITES} điểm cầu đã vào · 0 khách`);
  });

  it('sends an ad-hoc dial and a layout to the API by keyboard, and shows what it answered', async () => {
    const uri = page.getByLabel('Gọi địa chỉ SIP');
    await uri.fill('phong-hop-khong-co-sip');
    const refused = page.waitForRequest((r) => r.url().endsWith('/dial') && r.method() === 'POST');
    await uri.press('Enter');
    assert.deepEqual((await refused).postDataJSON(), { uri: 'phong-hop-khong-co-sip' });
    const invalid = page.locator('#dial-result');
    await invalid.filter({ hasText: 'uri: must be a SIP URI' }).waitFor();
    assert.equal(await invalid.getAttribute('role'), 'alert');
    assert.equal(await uri.getAttribute('aria-invalid'), 'true');

    await uri.fill('sip:phong-hop@10.0.0.5');
    const dialled = page.waitForRequest((r) => r.url().endsWith('/dial') && r.method() === 'POST');
    await uri.press('Enter');
    assert.deepEqual((await dialled).postDataJSON(), { uri: 'sip:phong-hop@10.0.0.5' });
    // This API has no SIP side: 503, and the page says so.
    await invalid.filter({ hasText: /SIP is not configured/ }).waitFor();

    const layout = page.getByLabel('Bố cục hình');
    assert.equal(await layout.locator('option:checked').textContent(), 'Lưới theo số người (đang dùng)');
    await layout.focus();
    await layout.selectOption('2x2');
    const put = page.waitForRequest((r) => r.url().endsWith('/layout') && r.method() === 'PUT');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.deepEqual((await put).postDataJSON(), { layout: '2x2' });
    await page
      .getByRole('alert')
      .filter({ hasText: /SIP is not configured/ })
      .first()
      .waitFor();
  });

  it('fits a phone: compact tiles wrap, nothing wider than the screen', async () => {
    const { context, page: phone, errors } = await fixture.signedIn('viewer', `meetings/${meeting.meetingId}/live`, { viewport: PHONE });
    await phone.locator('.counts').getByText(`/${SITES} điểm cầu đã vào`).waitFor();
    assert.equal(await overflow(phone), 0);
    const columns = await phone.evaluate<number>("getComputedStyle(document.querySelector('.tiles')).gridTemplateColumns.split(' ').length");
    assert.equal(columns, 2);
    await screenshot(phone, 'console-live-300-phone');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
