import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { exeFile, pdfFile } from '../support/document-files';
import { ConsoleFixture, screenshot } from './console-fixture';

/**
 * A meeting's documents and recordings on its console page, in Chromium against the real API: an
 * operator uploads, downloads and deletes a document and sees a refused file's reason; a recording
 * lists with a download that answers its bytes; a viewer reads only.
 */
describe('operator console: documents and recordings', function () {
  this.timeout(120_000);
  const fixture = new ConsoleFixture();
  let meetingId = '';
  const recorded = 'RIFF-0123456789'.repeat(20);

  before(async function () {
    await fixture.setup(this, 'meeting records in Chromium');
    const start = new Date(Date.now() + 86_400_000);
    const booked = await fixture.api.request('POST', '/api/v1/meetings', {
      json: { title: 'Họp giao ban', roomNumber: 3101, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.status, 201, booked.text);
    meetingId = booked.body.id;
    const store = fixture.api.recordings;
    const rec = await store.begin(meetingId, 'wav');
    writeFileSync(store.pathOf(rec), recorded);
    await store.finish(rec.id);
  });

  after(() => fixture.teardown());

  it('uploads a PDF, downloads it, refuses a program inline, and deletes the PDF', async () => {
    const { context, page, errors } = await fixture.signedIn('operator', `meetings/${meetingId}`, { locale: 'vi-VN' });
    await page.getByRole('heading', { name: 'Tài liệu' }).waitFor();
    const pdf = pdfFile('Giấy mời họp giao ban');
    await page.getByLabel(/^Chọn tệp/).setInputFiles({ name: 'giay-moi.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('button', { name: 'Tải lên' }).click();
    const link = page.getByRole('link', { name: 'giay-moi.pdf' });
    await link.waitFor();
    const download = await context.request.get(new URL((await link.getAttribute('href')) ?? '', fixture.api.base).toString());
    assert.equal(download.status(), 200);
    assert.deepEqual(await download.body(), pdf);

    await page.getByLabel(/^Chọn tệp/).setInputFiles({ name: 'bao-cao.pdf', mimeType: 'application/pdf', buffer: exeFile() });
    await page.getByRole('button', { name: 'Tải lên' }).click();
    const alert = page.locator('section[aria-labelledby="documents-heading"] [role=alert]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /^Có lỗi: ./);
    assert.equal((await fixture.api.request('GET', `/api/v1/meetings/${meetingId}/documents`)).body.items.length, 1, 'the program is not stored');
    await screenshot(page, 'records-1-operator');

    await page.getByRole('button', { name: 'Xóa giay-moi.pdf' }).click();
    await page.getByRole('button', { name: 'Có, xóa' }).click();
    await page.getByText('Chưa có tài liệu nào.').waitFor();
    assert.equal((await fixture.api.request('GET', `/api/v1/meetings/${meetingId}/documents`)).body.items.length, 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('lists a recording with a download that answers its bytes', async () => {
    const { context, page, errors } = await fixture.signedIn('operator', `meetings/${meetingId}`, { locale: 'vi-VN' });
    const link = page.getByRole('link', { name: /^Tải về / });
    await link.waitFor();
    await page.getByRole('cell', { name: 'WAV' }).waitFor();
    const file = await context.request.get(new URL((await link.getAttribute('href')) ?? '', fixture.api.base).toString());
    assert.equal(file.status(), 200);
    assert.equal(await file.text(), recorded);
    assert.ok(await page.getByRole('button', { name: /^Xóa / }).isVisible(), 'an operator may delete it');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a viewer the lists without upload or delete', async () => {
    const form = new FormData();
    form.append('file', new Blob([pdfFile()], { type: 'application/pdf' }), 'ke-hoach.pdf');
    const uploaded = await fetch(`${fixture.api.base}/api/v1/meetings/${meetingId}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.api.tokens.operator}` },
      body: form,
    });
    assert.equal(uploaded.status, 201, await uploaded.text());
    const { context, page, errors } = await fixture.signedIn('viewer', `meetings/${meetingId}`, { locale: 'vi-VN' });
    await page.getByRole('link', { name: /^Tải về / }).waitFor();
    await page.getByRole('link', { name: 'ke-hoach.pdf' }).waitFor();
    assert.equal(await page.locator('input[type=file]').count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(Xóa|Tải lên)/ }).count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
