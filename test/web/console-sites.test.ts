import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ConsoleFixture, screenshot } from './console-fixture';

/**
 * The console's Sites page in Chromium on the real API and PostgreSQL: a site added through the
 * form (its refusals beside the fields), its device profile edited, disabled; a CSV import whose bad
 * line is shown and writes nothing, then the corrected file; a group with members; a viewer who
 * sees no write control. Every step leaves a screenshot in test-output/web/.
 */
describe('operator console: the Sites page', function () {
  this.timeout(120_000);
  const fixture = new ConsoleFixture();

  /** The directory as the API reads it, by code. */
  const siteByCode = async (code: string) => {
    const res = await fixture.api.request('GET', `/api/v1/sites?q=${encodeURIComponent(code)}&limit=500`);
    assert.equal(res.status, 200, res.text);
    return (res.body.items as { code: string }[]).find((s) => s.code === code) as Record<string, unknown> | undefined;
  };
  const siteTotal = async () => (await fixture.api.request('GET', '/api/v1/sites?limit=1')).body.total as number;
  const row = (page: Page, code: string) => page.locator(`tr[data-code="${code}"]`);

  before(async function () {
    await fixture.setup(this, 'console sites page in Chromium');
    const { api } = fixture;
    const created = await api.request('POST', '/api/v1/sites', {
      json: { code: 'dak-doa', name: 'Thị trấn Đak Đoa', sipUsername: 'dak-doa', sipPassword: 'mat-khau-dak-doa' },
    });
    assert.equal(created.status, 201, created.text);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: {
        title: 'Họp giao ban',
        roomNumber: 2010,
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
        invitedSites: ['dak-doa'],
      },
    });
    assert.equal(booked.status, 201, booked.text);
    await api.ds.query(
      `INSERT INTO registration (site_id, contact, call_id, cseq, user_agent, source_address, source_port, transport, expires_at)
       VALUES ($1, 'sip:dak-doa@192.0.2.7', 'r1', 1, 'Polycom RealPresence', '192.0.2.7', 5060, 'udp', now() + interval '1 hour')`,
      [created.body.id],
    );
  });
  after(() => fixture.teardown());

  it('adds a site through the form, edits its device profile, disables it, and shows why a site with meetings cannot be deleted', async () => {
    const { context, page, errors } = await fixture.signedIn('admin', 'sites');
    page.on('dialog', (d) => void d.accept());
    await row(page, 'dak-doa').getByText('Đã đăng ký').waitFor();
    await screenshot(page, 'sites-1-table');

    await page.getByRole('button', { name: 'Thêm điểm cầu' }).click();
    await page.getByLabel('Mã (chữ thường, số, gạch ngang)').fill('ia-pal');
    await page.getByLabel('Tên', { exact: true }).fill('Xã Ia Pal');
    await page.getByLabel('Địa chỉ SIP (để gọi đi)').fill('không phải địa chỉ');
    await page.getByLabel('Tên đăng nhập SIP').fill('ia-pal');
    await page.getByLabel('Mật khẩu SIP').fill('mat-khau-ia-pal');
    await page.getByRole('button', { name: 'Lưu' }).click();
    // The API's refusal is beside the field, tied to it for a screen reader.
    const sipUri = page.getByLabel('Địa chỉ SIP (để gọi đi)');
    await page
      .locator('#site-sipUri-error')
      .getByText(/SIP URI/)
      .waitFor();
    assert.equal(await sipUri.getAttribute('aria-invalid'), 'true');
    assert.match((await sipUri.getAttribute('aria-describedby')) ?? '', /site-sipUri-error/);
    assert.equal(await siteByCode('ia-pal'), undefined);
    await screenshot(page, 'sites-2-form-refused');

    await sipUri.fill('sip:ia-pal@10.20.1.5');
    await page.getByRole('button', { name: 'Lưu' }).click();
    await row(page, 'ia-pal').waitFor();
    assert.equal((await siteByCode('ia-pal'))?.['sipUri'], 'sip:ia-pal@10.20.1.5');
    assert.equal((await siteByCode('ia-pal'))?.['hasSipPassword'], true);
    await screenshot(page, 'sites-3-added');

    await row(page, 'ia-pal').getByRole('button', { name: 'Sửa Xã Ia Pal' }).click();
    await page.getByText('Đã có mật khẩu; để trống để giữ nguyên.').waitFor();
    await page.getByLabel('Hãng và mẫu thiết bị').fill('Polycom Group 500');
    await page.getByLabel('Băng thông (kbps)').fill('1024');
    await page.getByLabel('Chế độ đóng gói H.264').selectOption('0');
    await page.getByLabel('Số điện thoại').fill('0269 3850 100');
    await screenshot(page, 'sites-4-edit-profile');
    await page.getByRole('button', { name: 'Lưu' }).click();
    await row(page, 'ia-pal').getByText('Polycom Group 500').waitFor();
    const edited = await siteByCode('ia-pal');
    assert.deepEqual(
      [edited?.['deviceModel'], edited?.['bandwidthKbps'], edited?.['h264PacketizationMode'], edited?.['contactPhone'], edited?.['hasSipPassword']],
      ['Polycom Group 500', 1024, 0, '0269 3850 100', true],
    );

    await row(page, 'ia-pal').getByRole('button', { name: 'Tắt Xã Ia Pal' }).click();
    await row(page, 'ia-pal').getByText('Đã tắt').waitFor();
    assert.equal((await siteByCode('ia-pal'))?.['enabled'], false);
    await screenshot(page, 'sites-5-disabled');

    await row(page, 'dak-doa').getByRole('button', { name: 'Xóa Thị trấn Đak Đoa' }).click();
    await page
      .getByRole('alert')
      .getByText(/Không xóa được Thị trấn Đak Đoa/)
      .waitFor();
    assert.ok(await siteByCode('dak-doa'));
    await screenshot(page, 'sites-6-delete-refused');

    await row(page, 'ia-pal').getByRole('button', { name: 'Xóa Xã Ia Pal' }).click();
    await row(page, 'ia-pal').waitFor({ state: 'detached' });
    assert.equal(await siteByCode('ia-pal'), undefined);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows each bad line of a CSV file and writes nothing, then imports the corrected file', async () => {
    const { context, page, errors } = await fixture.signedIn('admin', 'sites');
    await page.getByRole('button', { name: 'Nhập từ tệp CSV' }).click();
    const before = await siteTotal();
    const bad = 'code,name,sipUri,bandwidthKbps\nchu-se,Thị trấn Chư Sê,sip:chu-se@10.20.3.5,1024\nia-grai,Xã Ia Grai,không-phải-sip,nhiều\n';
    await page.getByLabel('Chọn tệp CSV (UTF-8)').setInputFiles({ name: 'diem-cau.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByRole('button', { name: 'Kiểm tra (chưa ghi gì)' }).click();
    const table = page.locator('table.import-errors');
    await table.waitFor();
    const lines = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    assert.deepEqual(
      lines.map(([line, column]) => [line, column]),
      [
        ['3', 'bandwidthKbps'],
        ['3', 'sipUri'],
      ],
    );
    assert.equal(await page.getByRole('button', { name: 'Nhập', exact: true }).count(), 0);
    assert.equal(await siteTotal(), before);
    assert.equal(await siteByCode('chu-se'), undefined);
    await screenshot(page, 'sites-7-import-errors');

    await page.getByLabel('Hoặc dán nội dung CSV').fill(bad.replace('không-phải-sip,nhiều', 'sip:ia-grai@10.20.4.5,768'));
    await page.getByRole('button', { name: 'Kiểm tra (chưa ghi gì)' }).click();
    await page.getByText('Tệp hợp lệ: sẽ thêm 2 và cập nhật 0 điểm cầu.').waitFor();
    assert.equal(await siteTotal(), before);
    await screenshot(page, 'sites-8-import-preview');
    await page.getByRole('button', { name: 'Nhập', exact: true }).click();
    await page.getByText('Đã nhập: thêm 2, cập nhật 0 điểm cầu.').waitFor();
    assert.equal(await siteTotal(), before + 2);
    assert.equal((await siteByCode('ia-grai'))?.['bandwidthKbps'], 768);
    await screenshot(page, 'sites-9-imported');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('creates a group with members picked by search', async () => {
    for (const [code, name] of [
      ['ia-ko', 'Xã Ia Ko'],
      ['ia-pia', 'Xã Ia Pia'],
    ]) {
      assert.equal((await fixture.api.request('POST', '/api/v1/sites', { json: { code, name } })).status, 201);
    }
    const { context, page, errors } = await fixture.signedIn('admin', 'sites');
    await page.getByRole('button', { name: 'Nhóm điểm cầu' }).click();
    await page.getByRole('button', { name: 'Thêm nhóm' }).click();
    await page.getByLabel('Mã nhóm').fill('cum-ia');
    await page.getByLabel('Tên nhóm').fill('Cụm các xã Ia');
    await page.getByLabel('Tìm điểm cầu để thêm').fill('ia k');
    await page.getByRole('button', { name: 'Thêm Xã Ia Ko' }).click();
    await page.getByLabel('Tìm điểm cầu để thêm').fill('ia pia');
    await page.getByRole('button', { name: 'Thêm Xã Ia Pia' }).click();
    await page.getByRole('button', { name: 'Bỏ Xã Ia Pia' }).waitFor();
    await screenshot(page, 'sites-10-group-members');
    await page.getByRole('button', { name: 'Lưu' }).click();
    await page.locator('li[data-code="cum-ia"]').getByText('2 điểm cầu').waitFor();
    await screenshot(page, 'sites-11-groups');
    const groups = (await fixture.api.request('GET', '/api/v1/site-groups')).body.items as { id: string; code: string }[];
    const group = (await fixture.api.request('GET', `/api/v1/site-groups/${groups.find((g) => g.code === 'cum-ia')!.id}`)).body;
    assert.deepEqual(group.sites.map((s: { code: string }) => s.code).sort(), ['ia-ko', 'ia-pia']);

    // The group filters the table.
    await page.getByRole('button', { name: 'Danh sách' }).click();
    await page.getByLabel('Nhóm').selectOption({ label: 'Cụm các xã Ia' });
    await page.getByText('2 / 2 điểm cầu').waitFor();
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code'))), ['ia-ko', 'ia-pia']);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a viewer everything without a write control', async () => {
    const { context, page, errors } = await fixture.signedIn('viewer', 'sites');
    await row(page, 'dak-doa').getByText('Đã đăng ký').waitFor();
    await page.getByText('Bạn chỉ có quyền xem.').waitFor();
    for (const name of ['Thêm điểm cầu', /^Sửa/, /^Tắt/, /^Xóa/, 'Nhập từ tệp CSV']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
    }
    await screenshot(page, 'sites-12-viewer');
    await page.getByRole('button', { name: 'Nhóm điểm cầu' }).click();
    await page.locator('li[data-code="cum-ia"]').waitFor();
    for (const name of ['Thêm nhóm', /^Sửa nhóm/, /^Xóa nhóm/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
});
