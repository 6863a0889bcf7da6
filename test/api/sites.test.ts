import assert from 'node:assert/strict';
import { digestHa1 } from '../../src/sip-auth';
import { TEST_REALM, TestApi } from '../support/api';
import { dataSourcesOnOneDatabase, truncateBookings } from '../support/db';
import { QueryCounter } from '../support/query-counter';

describe('API: sites', () => {
  let api: TestApi;
  before(async () => {
    api = await TestApi.start();
  });
  after(async () => api.close());
  beforeEach(async () => {
    await truncateBookings(api.ds);
  });

  const iaPal = {
    code: 'ia-pal',
    name: 'Xã Ia Pal',
    sipUri: 'sip:ia-pal@10.20.1.5',
    sipUsername: 'ia-pal',
    sipPassword: 'mật-khẩu-123',
    allowedNetworks: ['10.20.1.0/24', '10.20.9.7'],
    deviceModel: 'Yealink VC200',
    bandwidthKbps: 2048,
    h264PacketizationMode: 1,
    region: 'tay-nguyen',
    contactName: 'Võ Thành Nhân',
    contactPhone: '0269 3850 100',
  };

  it('creates a site, stores only the HA1 and never returns it', async () => {
    const res = await api.request('POST', '/api/v1/sites', { json: iaPal });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `/api/v1/sites/${res.body.id}`);
    assert.equal(res.body.name, 'Xã Ia Pal');
    assert.equal(res.body.hasSipPassword, true);
    assert.equal(res.body.region, 'tay-nguyen');
    assert.deepEqual(res.body.allowedNetworks, ['10.20.1.0/24', '10.20.9.7/32']);
    assert.ok(!/ha1|mật-khẩu/i.test(res.text), 'neither the HA1 nor the password is in the answer');
    const [row] = await api.ds.query('SELECT * FROM site WHERE id = $1', [res.body.id]);
    assert.equal(row.sip_ha1, digestHa1('ia-pal', TEST_REALM, 'mật-khẩu-123'));
    assert.equal(row.sip_realm, TEST_REALM);
    assert.ok(!JSON.stringify(row).includes('mật-khẩu'), 'the password itself is not stored');
    const audit = await api.ds.query(`SELECT actor, action FROM audit_event WHERE resource_id = $1`, [res.body.id]);
    assert.deepEqual(audit, [{ actor: 'apikey:test-admin', action: 'site.create' }]);
  });

  it('reads, searches without diacritics, pages, patches and deletes', async () => {
    for (const [code, name] of [
      ['bo-ngoong', 'Xã Bờ Ngoong'],
      ['ia-hlop', 'Xã Ia Hlốp'],
      ['ia-ko', 'Xã Ia Ko'],
    ]) {
      assert.equal((await api.request('POST', '/api/v1/sites', { json: { code, name } })).status, 201);
    }
    const found = await api.request('GET', '/api/v1/sites?q=bo%20ngoong', { key: api.tokens.viewer });
    assert.equal(found.status, 200);
    assert.deepEqual(
      found.body.items.map((s: { name: string }) => s.name),
      ['Xã Bờ Ngoong'],
    );
    const withMarks = await api.request('GET', `/api/v1/sites?q=${encodeURIComponent('Hlốp')}`);
    assert.deepEqual(
      withMarks.body.items.map((s: { code: string }) => s.code),
      ['ia-hlop'],
    );
    const page = await api.request('GET', '/api/v1/sites?limit=2&offset=1');
    assert.equal(page.body.total, 3);
    assert.deepEqual(
      page.body.items.map((s: { code: string }) => s.code),
      ['ia-hlop', 'ia-ko'],
    );

    const id = found.body.items[0].id;
    const patched = await api.request('PATCH', `/api/v1/sites/${id}`, { json: { enabled: false, contactName: 'Trần Thị Lan' } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.contactName, 'Trần Thị Lan');
    assert.equal((await api.request('GET', `/api/v1/sites/${id}`)).body.contactName, 'Trần Thị Lan');
    assert.equal((await api.request('DELETE', `/api/v1/sites/${id}`)).status, 204);
    assert.equal((await api.request('GET', `/api/v1/sites/${id}`)).status, 404);
    assert.equal((await api.request('GET', '/api/v1/sites/not-a-uuid')).status, 404);
  });

  it('keeps Vietnamese text in NFC whatever the client sent', async () => {
    const decomposed = 'Xã Ia Tiêm'.normalize('NFD');
    const res = await api.request('POST', '/api/v1/sites', { json: { code: 'ia-tiem', name: decomposed } });
    assert.equal(res.body.name, 'Xã Ia Tiêm'.normalize('NFC'));
  });

  it('answers 409 for a duplicate code or SIP username', async () => {
    await api.request('POST', '/api/v1/sites', { json: iaPal });
    const dupCode = await api.request('POST', '/api/v1/sites', { json: { code: 'ia-pal', name: 'Another' } });
    assert.equal(dupCode.status, 409);
    assert.match(dupCode.body.detail, /code "ia-pal" already exists/);
    const dupUser = await api.request('POST', '/api/v1/sites', {
      json: { code: 'ia-ko', name: 'Xã Ia Ko', sipUsername: 'ia-pal', sipPassword: 'password-2' },
    });
    assert.equal(dupUser.status, 409);
    assert.equal(dupUser.headers.get('content-type'), 'application/problem+json');
  });

  it('names every bad field, and rejects unknown fields and wrong types', async () => {
    const res = await api.request('POST', '/api/v1/sites', {
      json: { code: 'Ia Pal', name: '', protocol: 'skype', bandwidthKbps: '2048', allowedNetworks: ['10.0.0.1/8'], colour: 'red', region: 'Tây Nguyên' },
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.title, 'Validation Failed');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ['allowedNetworks.0', 'bandwidthKbps', 'code', 'colour', 'name', 'protocol', 'region']);
    const pw = await api.request('POST', '/api/v1/sites', { json: { code: 'x', name: 'X', sipUsername: 'x' } });
    assert.equal(pw.status, 422);
    assert.equal(pw.body.errors[0].field, 'sipPassword');
  });

  it('answers malformed requests with 4xx problems, never 500', async () => {
    const badJson = await api.request('POST', '/api/v1/sites', { body: '{"code": ', contentType: 'application/json' });
    assert.equal(badJson.status, 400);
    assert.match(badJson.body.detail, /not valid JSON/);
    const notJson = await api.request('POST', '/api/v1/sites', { body: 'code=x', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(notJson.status, 415);
    const huge = await api.request('POST', '/api/v1/sites', { json: { code: 'x', name: 'x'.repeat(300_000) } });
    assert.equal(huge.status, 413);
    const array = await api.request('POST', '/api/v1/sites', { json: [1, 2] });
    assert.equal(array.status, 422);
    const badQuery = await api.request('GET', '/api/v1/sites?limit=0&foo=1');
    assert.equal(badQuery.status, 422);
    const noRoute = await api.request('GET', '/api/v1/nothing');
    assert.equal(noRoute.status, 404);
    assert.equal(noRoute.body.status, 404);
    const wrongMethod = await api.request('PUT', '/api/v1/sites');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('content-type'), 'application/problem+json');
  });

  it('refuses to delete a site with meeting history', async () => {
    const site = (await api.request('POST', '/api/v1/sites', { json: { code: 'dun', name: 'Xã Dun' } })).body;
    const start = new Date(Date.now() + 3600_000);
    const meeting = await api.request('POST', '/api/v1/meetings', {
      json: { title: 'Họp', startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), invitedSites: ['dun'] },
    });
    assert.equal(meeting.status, 201, meeting.text);
    const del = await api.request('DELETE', `/api/v1/sites/${site.id}`);
    assert.equal(del.status, 409);
    assert.match(del.body.detail, /disable it/);
  });

  describe('CSV import', () => {
    const header = 'code,name,protocol,sipUri,sipUsername,sipPassword,allowedNetworks,bandwidthKbps,enabled';

    it('creates and updates sites from a good file, diacritics intact', async () => {
      await api.request('POST', '/api/v1/sites', { json: { code: 'ia-ko', name: 'Old name', contactName: 'Cũ' } });
      const csv = [
        header,
        'ia-ko,Xã Ia Ko,sip,sip:ia-ko@10.1.1.1,,,10.1.1.0/24,1024,true',
        '"ia-blang","Xã Ia Blang",sip,,ia-blang,secret-pass-1,10.1.2.0/24;10.9.9.9,2048,có',
        'h-bong,Xã H Bông,h323,,,,,,',
      ].join('\r\n');
      const res = await api.request('POST', '/api/v1/sites/import', { body: `\uFEFF${csv}`, contentType: 'text/csv' });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { created: 2, updated: 1, dryRun: false });
      const list = (await api.request('GET', '/api/v1/sites')).body.items;
      const byCode = Object.fromEntries(list.map((s: { code: string }) => [s.code, s]));
      assert.equal(byCode['ia-ko'].name, 'Xã Ia Ko');
      assert.equal(byCode['ia-ko'].bandwidthKbps, 1024);
      assert.equal(byCode['ia-ko'].contactName, 'Cũ', 'a column the file lacks is left alone');
      assert.equal(byCode['h-bong'].name, 'Xã H Bông');
      assert.equal(byCode['h-bong'].protocol, 'h323');
      assert.deepEqual(byCode['ia-blang'].allowedNetworks, ['10.1.2.0/24', '10.9.9.9/32']);
      assert.equal(byCode['ia-blang'].hasSipPassword, true);
    });

    it('imports nothing from a file with bad lines and names each one', async () => {
      const csv = [
        header,
        'ia-pal,Xã Ia Pal,sip,,,,,,',
        'Bad Code,Xã X,sip,,,,,,',
        'ia-tiem,Xã Ia Tiêm,fax,,,,,,',
        'ia-glai,Xã Ia Glai,sip,,,,10.0.0.300/24,abc,',
        'ia-pal,Duplicate,sip,,,,,,',
        'dun,Xã Dun,sip,,dun,,,,',
      ].join('\n');
      const res = await api.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' });
      assert.equal(res.status, 422, res.text);
      const lines = res.body.errors.map((e: { field: string }) => e.field);
      assert.ok(lines.includes('line 3.code'), lines.join());
      assert.ok(lines.includes('line 4.protocol'), lines.join());
      assert.ok(lines.includes('line 5.bandwidthKbps'), lines.join());
      assert.ok(
        lines.some((l: string) => l.startsWith('line 5.allowedNetworks')),
        lines.join(),
      );
      assert.ok(lines.includes('line 6.code'), lines.join());
      assert.ok(!lines.some((l: string) => l.startsWith('line 2')), 'the good line is not blamed');
      assert.match(res.body.detail, /nothing was imported/);
      assert.equal((await api.request('GET', '/api/v1/sites')).body.total, 0);
    });

    it('reports database-level clashes per line and still imports nothing', async () => {
      await api.request('POST', '/api/v1/sites', { json: { ...iaPal } });
      const csv = [header, 'ia-ko,Xã Ia Ko,sip,,ko-user,password-ko,,,', 'dun,Xã Dun,sip,,ia-pal,password-dun,,,'].join('\n');
      const res = await api.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' });
      assert.equal(res.status, 422, res.text);
      assert.deepEqual(
        res.body.errors.map((e: { field: string }) => e.field),
        ['line 3.sipUsername'],
      );
      assert.equal((await api.request('GET', '/api/v1/sites')).body.total, 1);
    });

    it('names each line and column with a NUL, which PostgreSQL cannot store', async () => {
      const csv = [header, 'ia-pal,Xã Ia\u0000 Pal,sip,,,,,,', 'ia-ko,Xã Ia Ko,sip,,,,,,', 'dun,Xã Dun,sip,sip:dun@10.0.0.1\u0000,,,,,'].join('\n');
      const res = await api.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' });
      assert.equal(res.status, 422, res.text);
      assert.deepEqual(res.body.errors, [
        { field: 'line 2.name', message: 'must not contain the NUL character (U+0000)' },
        { field: 'line 4.sipUri', message: 'must not contain the NUL character (U+0000)' },
      ]);
      assert.equal((await api.request('GET', '/api/v1/sites')).body.total, 0);
    });

    it('checks a file without writing it on dryRun, and rejects unknown columns', async () => {
      const dry = await api.request('POST', '/api/v1/sites/import?dryRun=true', { body: 'code,name\nayun,Xã Ayun\n', contentType: 'text/csv' });
      assert.deepEqual(dry.body, { created: 1, updated: 0, dryRun: true });
      assert.equal((await api.request('GET', '/api/v1/sites')).body.total, 0);
      const unknown = await api.request('POST', '/api/v1/sites/import', { body: 'code,name,colour\nayun,Xã Ayun,red\n', contentType: 'text/csv' });
      assert.equal(unknown.status, 422);
      assert.match(unknown.body.errors[0].message, /unknown column\(s\) colour/);
      const ragged = await api.request('POST', '/api/v1/sites/import', { body: 'code,name\nayun,Xã Ayun,extra\n', contentType: 'text/csv' });
      assert.equal(ragged.status, 422);
      assert.match(ragged.body.errors[0].message, /not valid CSV/);
    });
  });

  it('refuses text PostgreSQL cannot store as sent, in the query, the path and the body', async () => {
    const search = await api.request('GET', '/api/v1/sites?q=%00');
    assert.equal(search.status, 422, search.text);
    assert.equal(search.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(search.body.errors, [{ field: 'query.q', message: 'must not contain the NUL character (U+0000)' }]);
    const byId = await api.request('GET', '/api/v1/sites/a%00b');
    assert.equal(byId.status, 422, byId.text);
    assert.deepEqual(
      byId.body.errors.map((e: { field: string }) => e.field),
      ['path.id'],
    );
    // JSON can carry a lone surrogate; stored, it would come back as U+FFFD.
    const created = await api.request('POST', '/api/v1/sites', {
      body: '{"code":"ia-pal","name":"X\\ud800","deviceModel":"a\\u0000b","allowedNetworks":["10.0.0.0/8\\u0000"]}',
      contentType: 'application/json',
    });
    assert.equal(created.status, 422, created.text);
    assert.deepEqual(created.body.errors.map((e: { field: string }) => e.field).sort(), ['allowedNetworks.0', 'deviceModel', 'name']);
    assert.equal((await api.request('GET', '/api/v1/sites')).body.total, 0);
  });

  it('lets only admins write sites', async () => {
    const op = await api.request('POST', '/api/v1/sites', { key: api.tokens.operator, json: { code: 'alba', name: 'Xã Albá' } });
    assert.equal(op.status, 403);
    const viewer = await api.request('GET', '/api/v1/sites', { key: api.tokens.viewer });
    assert.equal(viewer.status, 200);
  });

  it('has a real PostgreSQL behind it', async () => {
    const [{ version }] = await api.ds.query('SELECT version()');
    assert.match(version, /^PostgreSQL \d+/);
  });
});

/**
 * Two API processes on one database, both following the change feed, as two `diemcau serve` would:
 * GET /sites is answered from memory until a site changes, a write is visible at once in the process
 * that made it, and within a moment in the other (the site trigger's NOTIFY), whoever wrote it.
 */
describe('API: pages of sites kept in memory', () => {
  let here: TestApi;
  let there: TestApi;
  before(async () => {
    const [a, b] = await dataSourcesOnOneDatabase(2);
    here = await TestApi.start({ ds: a!, notifications: true });
    there = await TestApi.start({ ds: b!, notifications: true });
  });
  after(async () => {
    await there?.close();
    await here?.close();
  });

  const names = async (api: TestApi, path = '/api/v1/sites') => {
    const res = await api.request('GET', path);
    assert.equal(res.status, 200, res.text);
    return (res.body.items as { name: string }[]).map((s) => s.name);
  };
  /** Polls `there` until `ok` holds; the ms it took, or a failure after 2 s. */
  const seenThere = async (ok: (names: string[]) => boolean) => {
    const since = Date.now();
    while (!ok(await names(there))) {
      assert.ok(Date.now() - since < 2000, 'the other process never heard of the change');
      await new Promise((r) => setTimeout(r, 10));
    }
    return Date.now() - since;
  };
  const siteReads = async (api: TestApi, path: string) => {
    const counter = new QueryCounter(api.ds);
    counter.start();
    await names(api, path);
    counter.stop();
    counter.close();
    return counter.statements.filter((s) => /\bFROM site\b/.test(s)).length;
  };

  it('reads a page once, then answers from memory; a group page is read every time', async () => {
    const made = await here.request('POST', '/api/v1/sites', { json: { code: 'xa-a', name: 'Xã A', protocol: 'h323', h323Alias: 'xa-a' } });
    assert.equal(made.status, 201, made.text);
    // The write's own NOTIFY comes back a moment later and drops the pages once more (harmless: one
    // more read); after it, the same page is not read again.
    const since = Date.now();
    while ((await siteReads(here, '/api/v1/sites')) > 0) {
      assert.ok(Date.now() - since < 2000, 'the same page is read every time');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await siteReads(here, '/api/v1/sites'), 0, 'the same page again is not read');
    assert.equal(await siteReads(here, '/api/v1/sites?q=xa'), 1, 'another query is a page of its own');
    assert.equal(await siteReads(here, '/api/v1/sites?q=xa'), 0);
    const group = await here.request('POST', '/api/v1/site-groups', { json: { code: 'nhom', name: 'Nhóm', sites: [made.body.id] } });
    assert.equal(group.status, 201, group.text);
    await names(here, '/api/v1/sites?group=nhom');
    assert.equal(await siteReads(here, '/api/v1/sites?group=nhom'), 1, 'group membership notifies nothing, so its pages are not kept');
  });

  it('shows every write of the API at once where it was made, and in the other process within a moment', async () => {
    await names(there);
    const made = await here.request('POST', '/api/v1/sites', { json: { code: 'xa-b', name: 'Xã B', protocol: 'h323', h323Alias: 'xa-b' } });
    assert.ok((await names(here)).includes('Xã B'), 'created');
    await seenThere((n) => n.includes('Xã B'));
    assert.equal((await here.request('PATCH', `/api/v1/sites/${made.body.id}`, { json: { name: 'Xã Bê' } })).status, 200);
    assert.ok((await names(here)).includes('Xã Bê'), 'renamed');
    await seenThere((n) => n.includes('Xã Bê'));
    const csv = 'code,name,protocol\nxa-c,Xã C,h323\n';
    assert.equal((await here.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' })).status, 200);
    assert.ok((await names(here)).includes('Xã C'), 'imported');
    await seenThere((n) => n.includes('Xã C'));
    assert.equal((await here.request('DELETE', `/api/v1/sites/${made.body.id}`)).status, 204);
    assert.ok(!(await names(here)).includes('Xã Bê'), 'deleted');
    await seenThere((n) => !n.includes('Xã Bê'));
  });

  it('hears of a change written by hand to a site without a SIP username', async () => {
    await names(here);
    await names(there);
    await here.ds.query(`UPDATE site SET name = 'Xã A (sửa tay)' WHERE code = 'xa-a'`);
    for (const api of [here, there]) {
      const since = Date.now();
      while (!(await names(api)).includes('Xã A (sửa tay)')) {
        assert.ok(Date.now() - since < 2000, 'a hand-written UPDATE of an H.323 site was never heard of');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  });
});
