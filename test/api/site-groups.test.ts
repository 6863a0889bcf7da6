import assert from 'node:assert/strict';
import { Invitations } from '../../src/meetings/invitations';
import type { DataSource } from 'typeorm';
import { TestApi } from '../support/api';
import { migratedDataSource, migratedEmbeddedDataSource, truncateBookings } from '../support/db';

const hour = 3600_000;
const at = (offsetHours: number) => new Date(Math.ceil(Date.now() / hour) * hour + offsetHours * hour).toISOString();
const codes = (list: { code: string }[]) => list.map((s) => s.code).sort();

// Both databases diemcau runs on: the booking writes its groups with SQL of its own.
const backends: { name: string; open: () => Promise<DataSource> }[] = [
  { name: 'PostgreSQL', open: async () => (await migratedDataSource()).ds },
  { name: 'PGlite', open: migratedEmbeddedDataSource },
];

for (const backend of backends) describeSiteGroups(backend.name, backend.open);

function describeSiteGroups(name: string, open: () => Promise<DataSource>): void {
  describe(`API: site groups, on ${name}`, () => {
    let api: TestApi;
    let ids: Record<string, string>;
    before(async function () {
      this.timeout(60_000);
      api = await TestApi.start({ ds: await open() });
    });
    after(async () => api.close());
    beforeEach(async () => {
      await truncateBookings(api.ds);
      const csv = ['code,name', 'chu-se,Thị trấn Chư Sê', 'ia-pal,Xã Ia Pal', 'ia-ko,Xã Ia Ko', 'dun,Xã Dun', 'bo-ngoong,Xã Bờ Ngoong'].join('\n');
      assert.equal((await api.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' })).status, 200);
      const sites = (await api.request('GET', '/api/v1/sites')).body.items as { id: string; code: string }[];
      ids = Object.fromEntries(sites.map((s) => [s.code, s.id]));
    });

    const createGroup = (json: Record<string, unknown>, key = api.tokens.admin) => api.request('POST', '/api/v1/site-groups', { key, json });
    const book = (json: Record<string, unknown>) =>
      api.request('POST', '/api/v1/meetings', { key: api.tokens.operator, json: { title: 'Giao ban tuần', startsAt: at(1), endsAt: at(3), ...json } });

    it('creates, lists with member counts, reads, changes and deletes a group', async () => {
      const created = await createGroup({
        code: 'cum-bac',
        name: 'Cụm xã phía Bắc'.normalize('NFD'),
        description: 'Các xã phía Bắc',
        sites: ['ia-pal', ids['ia-ko']!, 'ia-pal', ids['ia-pal']!.toUpperCase()],
      });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id;
      assert.equal(created.headers.get('location'), `/api/v1/site-groups/${id}`);
      assert.equal(created.body.name, 'Cụm xã phía Bắc'.normalize('NFC'), 'Vietnamese names are stored in NFC');
      assert.deepEqual(codes(created.body.sites), ['ia-ko', 'ia-pal'], 'each site once, by code or id');
      assert.equal(created.body.sites[0].enabled, true);
      assert.equal((await createGroup({ code: 'tat-ca', name: 'Tất cả' })).status, 201, 'a group may start empty');

      const list = await api.request('GET', '/api/v1/site-groups', { key: api.tokens.viewer });
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 2);
      assert.deepEqual(
        list.body.items.map((g: { code: string; siteCount: number }) => [g.code, g.siteCount]),
        [
          ['cum-bac', 2],
          ['tat-ca', 0],
        ],
      );
      const one = await api.request('GET', `/api/v1/site-groups/${id}`, { key: api.tokens.viewer });
      assert.equal(one.status, 200);
      assert.equal(one.body.description, 'Các xã phía Bắc');
      assert.deepEqual(Object.keys(one.body.sites[0]).sort(), ['code', 'enabled', 'id', 'name']);

      const patched = await api.request('PATCH', `/api/v1/site-groups/${id}`, { json: { name: 'Cụm Bắc', description: null, sites: ['dun', 'ia-ko'] } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.name, 'Cụm Bắc');
      assert.equal(patched.body.description, null);
      assert.deepEqual(codes(patched.body.sites), ['dun', 'ia-ko'], 'sites replaces the members');
      const renamed = await api.request('PATCH', `/api/v1/site-groups/${id}`, { json: { name: 'Cụm phía Bắc' } });
      assert.deepEqual(codes(renamed.body.sites), ['dun', 'ia-ko'], 'without sites the members stay');

      assert.equal((await api.request('DELETE', `/api/v1/site-groups/${id}`)).status, 204);
      assert.equal((await api.request('GET', `/api/v1/site-groups/${id}`)).status, 404);
      assert.equal((await api.request('DELETE', `/api/v1/site-groups/${id}`)).status, 404);
      assert.equal((await api.request('GET', '/api/v1/site-groups/not-a-uuid')).status, 404);
      const [{ n }] = await api.ds.query(`SELECT count(*)::int AS n FROM site_group_member`);
      assert.equal(n, 0, 'the members went with the group');
      assert.equal((await api.request('GET', `/api/v1/sites/${ids['dun']}`)).status, 200, 'the sites did not');
    });

    it('lets viewers and operators read groups and only admins write them', async () => {
      const g = await createGroup({ code: 'cum', name: 'Cụm', sites: ['dun'] });
      for (const key of [api.tokens.viewer, api.tokens.operator]) {
        assert.equal((await createGroup({ code: 'x', name: 'X' }, key)).status, 403);
        assert.equal((await api.request('PATCH', `/api/v1/site-groups/${g.body.id}`, { key, json: { name: 'Y' } })).status, 403);
        assert.equal((await api.request('DELETE', `/api/v1/site-groups/${g.body.id}`, { key })).status, 403);
        assert.equal((await api.request('GET', `/api/v1/site-groups/${g.body.id}`, { key })).status, 200);
      }
      assert.equal((await api.request('GET', '/api/v1/site-groups', { key: null })).status, 401);
    });

    it('names each unknown site in a 422, and answers 409 for a duplicate code', async () => {
      const missingId = '7d444840-9dc0-41d1-b245-5ffdce74fad2';
      const bad = await createGroup({ code: 'cum', name: 'Cụm', sites: ['dun', 'nowhere', missingId] });
      assert.equal(bad.status, 422);
      assert.equal(bad.headers.get('content-type'), 'application/problem+json');
      assert.deepEqual(bad.body.errors, [
        { field: 'sites[1]', message: 'no site with id or code "nowhere"' },
        { field: 'sites[2]', message: `no site with id or code "${missingId}"` },
      ]);
      const g = await createGroup({ code: 'cum', name: 'Cụm', sites: ['dun'] });
      assert.equal(g.status, 201, 'the refused request left nothing behind');
      const badPatch = await api.request('PATCH', `/api/v1/site-groups/${g.body.id}`, { json: { name: 'Khác', sites: ['ia-ko', 'ia-x'] } });
      assert.equal(badPatch.status, 422);
      assert.deepEqual(
        badPatch.body.errors.map((e: { field: string }) => e.field),
        ['sites[1]'],
      );
      const unchanged = await api.request('GET', `/api/v1/site-groups/${g.body.id}`);
      assert.equal(unchanged.body.name, 'Cụm');
      assert.deepEqual(codes(unchanged.body.sites), ['dun']);

      const dup = await createGroup({ code: 'cum', name: 'Cụm khác' });
      assert.equal(dup.status, 409);
      assert.equal(dup.headers.get('content-type'), 'application/problem+json');
      assert.match(dup.body.detail, /code "cum" already exists/);
      const other = await createGroup({ code: 'cum-2', name: 'Cụm 2' });
      assert.equal((await api.request('PATCH', `/api/v1/site-groups/${other.body.id}`, { json: { code: 'cum' } })).status, 409);
      const badFields = await createGroup({ code: 'Cụm Bắc', name: '', colour: 'red' });
      assert.deepEqual(badFields.body.errors.map((e: { field: string }) => e.field).sort(), ['code', 'colour', 'name']);
    });

    it('audits every write', async () => {
      const g = await createGroup({ code: 'cum', name: 'Cụm', sites: ['dun', 'ia-ko'] });
      await api.request('PATCH', `/api/v1/site-groups/${g.body.id}`, { json: { sites: ['ia-ko', 'ia-pal'] } });
      await api.request('DELETE', `/api/v1/site-groups/${g.body.id}`);
      const audit = await api.request('GET', `/api/v1/audit-events?resourceType=site-group&resourceId=${g.body.id}`);
      assert.equal(audit.status, 200);
      const events = [...audit.body.items].reverse() as { actor: string; action: string; detail: Record<string, unknown> }[];
      assert.deepEqual(
        events.map((e) => [e.actor, e.action]),
        [
          ['apikey:test-admin', 'site-group.create'],
          ['apikey:test-admin', 'site-group.update'],
          ['apikey:test-admin', 'site-group.delete'],
        ],
      );
      assert.deepEqual(events[0]!.detail, { code: 'cum', sites: 2 });
      assert.deepEqual(events[1]!.detail, { fields: ['sites'], added: ['ia-pal'], removed: ['dun'] });
      assert.deepEqual(events[2]!.detail, { code: 'cum' });
    });

    it('filters sites by group', async () => {
      await createGroup({ code: 'cum', name: 'Cụm', sites: ['dun', 'bo-ngoong'] });
      const inGroup = await api.request('GET', '/api/v1/sites?group=cum', { key: api.tokens.viewer });
      assert.equal(inGroup.status, 200);
      assert.deepEqual(codes(inGroup.body.items), ['bo-ngoong', 'dun']);
      assert.equal(inGroup.body.total, 2);
      assert.deepEqual(codes((await api.request('GET', '/api/v1/sites?group=cum&q=dun')).body.items), ['dun']);
      const unknown = await api.request('GET', '/api/v1/sites?group=nowhere');
      assert.equal(unknown.status, 422);
      assert.deepEqual(
        unknown.body.errors.map((e: { field: string }) => e.field),
        ['query.group'],
      );
    });

    describe('bookings with groups', () => {
      beforeEach(async () => {
        assert.equal((await createGroup({ code: 'cum-bac', name: 'Cụm Bắc', sites: ['ia-pal', 'ia-ko'] })).status, 201);
        assert.equal((await createGroup({ code: 'cum-nam', name: 'Cụm Nam', sites: ['ia-ko', 'dun'] })).status, 201);
      });

      it('invites the union of the groups and the sites, each once, and remembers the groups', async () => {
        const groupId = (await api.request('GET', '/api/v1/site-groups')).body.items.find((g: { code: string }) => g.code === 'cum-nam').id;
        const res = await book({ roomNumber: 2001, invitedSites: ['chu-se', 'ia-pal'], invitedGroups: ['cum-bac', groupId, 'cum-bac'], chairSite: 'chu-se' });
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(codes(res.body.invitedSites), ['chu-se', 'dun', 'ia-ko', 'ia-pal']);
        assert.deepEqual(res.body.invitedGroups, [
          { id: res.body.invitedGroups[0].id, code: 'cum-bac', name: 'Cụm Bắc' },
          { id: groupId, code: 'cum-nam', name: 'Cụm Nam' },
        ]);
        assert.deepEqual(res.body.skippedSites, []);
        const read = await api.request('GET', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.viewer });
        assert.deepEqual(codes(read.body.invitedGroups), ['cum-bac', 'cum-nam']);
        assert.equal(read.body.skippedSites, undefined, 'skipped members are reported to the booking only');
        const [audit] = await api.ds.query(`SELECT detail FROM audit_event WHERE action = 'meeting.create' AND resource_id = $1`, [res.body.id]);
        assert.deepEqual(audit.detail.groups, ['cum-bac', 'cum-nam']);

        // What the dialer reads when the meeting starts: the expanded sites.
        const invited = await new Invitations(api.ds).siteIds(res.body.id);
        assert.deepEqual(invited.sort(), [ids['chu-se'], ids['dun'], ids['ia-ko'], ids['ia-pal']].sort());
        const rows = await api.ds.query(`SELECT s.code FROM meeting_site ms JOIN site s ON s.id = ms.site_id WHERE ms.meeting_id = $1 ORDER BY 1`, [
          res.body.id,
        ]);
        assert.deepEqual(
          rows.map((r: { code: string }) => r.code),
          ['chu-se', 'dun', 'ia-ko', 'ia-pal'],
        );
      });

      it('leaves out a group’s disabled members and says so, but refuses a disabled site named on its own', async () => {
        await api.request('PATCH', `/api/v1/sites/${ids['ia-ko']}`, { json: { enabled: false } });
        const res = await book({ invitedGroups: ['cum-bac'] });
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(codes(res.body.invitedSites), ['ia-pal']);
        assert.deepEqual(codes(res.body.skippedSites), ['ia-ko']);
        const [audit] = await api.ds.query(`SELECT detail FROM audit_event WHERE action = 'meeting.create' AND resource_id = $1`, [res.body.id]);
        assert.deepEqual(audit.detail.skipped, ['ia-ko']);
        const named = await book({ roomNumber: 2050, startsAt: at(5), endsAt: at(6), invitedSites: ['ia-ko'] });
        assert.equal(named.status, 422);
      });

      it('names each unknown group in a 422', async () => {
        const res = await book({ invitedSites: ['nowhere'], invitedGroups: ['cum-bac', 'cum-tay'] });
        assert.equal(res.status, 422);
        assert.deepEqual(res.body.errors, [
          { field: 'invitedSites[0]', message: 'no site with id or code "nowhere"' },
          { field: 'invitedGroups[1]', message: 'no site group with id or code "cum-tay"' },
        ]);
        assert.equal((await api.request('GET', '/api/v1/meetings')).body.total, 0);
      });

      it('answers 409 naming the meeting a group member is already invited to', async () => {
        const first = await book({ roomNumber: 2001, invitedSites: ['dun'] });
        const clash = await book({ roomNumber: 2002, invitedGroups: ['cum-nam'], startsAt: at(2), endsAt: at(4) });
        assert.equal(clash.status, 409);
        assert.equal(clash.body.conflictingMeeting.id, first.body.id);
        assert.equal(clash.body.conflicts[0].site.code, 'dun');
        assert.match(clash.body.detail, /Xã Dun \(dun\) is already invited to meeting "Giao ban tuần"/);
        assert.equal((await api.request('GET', '/api/v1/meetings')).body.total, 1, 'the refused booking left nothing behind');
        assert.equal((await book({ roomNumber: 2002, invitedGroups: ['cum-bac'], startsAt: at(2), endsAt: at(4) })).status, 201, 'another group is free');
      });

      it('keeps a booking as it was made when its group changes or goes', async () => {
        const res = await book({ invitedGroups: ['cum-bac'] });
        const groupId = res.body.invitedGroups[0].id;
        await api.request('PATCH', `/api/v1/site-groups/${groupId}`, { json: { name: 'Cụm Bắc mới', sites: ['dun', 'bo-ngoong'] } });
        const after = await api.request('GET', `/api/v1/meetings/${res.body.id}`);
        assert.deepEqual(codes(after.body.invitedSites), ['ia-ko', 'ia-pal']);
        assert.deepEqual(after.body.invitedGroups, [{ id: groupId, code: 'cum-bac', name: 'Cụm Bắc' }]);
        const retitled = await api.request('PATCH', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.operator, json: { title: 'Họp đột xuất' } });
        assert.equal(retitled.status, 200, retitled.text);
        assert.deepEqual(codes(retitled.body.invitedSites), ['ia-ko', 'ia-pal'], 'a change that names no invitation keeps it');
        assert.deepEqual(codes(retitled.body.invitedGroups), ['cum-bac']);
        assert.equal((await api.request('DELETE', `/api/v1/site-groups/${groupId}`)).status, 204);
        const gone = await api.request('GET', `/api/v1/meetings/${res.body.id}`);
        assert.deepEqual(codes(gone.body.invitedSites), ['ia-ko', 'ia-pal']);
        assert.deepEqual(gone.body.invitedGroups, [{ id: groupId, code: 'cum-bac', name: 'Cụm Bắc' }]);
      });

      it('replaces the invitation when a change names groups or sites', async () => {
        const res = await book({ invitedSites: ['chu-se'], invitedGroups: ['cum-bac'] });
        const regrouped = await api.request('PATCH', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.operator, json: { invitedGroups: ['cum-nam'] } });
        assert.equal(regrouped.status, 200, regrouped.text);
        assert.deepEqual(codes(regrouped.body.invitedSites), ['dun', 'ia-ko']);
        assert.deepEqual(codes(regrouped.body.invitedGroups), ['cum-nam']);
        const listed = await api.request('PATCH', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.operator, json: { invitedSites: ['ia-pal'] } });
        assert.deepEqual(codes(listed.body.invitedSites), ['ia-pal']);
        assert.deepEqual(listed.body.invitedGroups, [], 'the invitation no longer comes from a group');
        const other = await book({ roomNumber: 2060, invitedSites: ['dun'] });
        assert.equal(other.status, 201);
        const clash = await api.request('PATCH', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.operator, json: { invitedGroups: ['cum-nam'] } });
        assert.equal(clash.status, 409);
        assert.equal(clash.body.conflictingMeeting.id, other.body.id);
        const audit = await api.ds.query(`SELECT detail FROM audit_event WHERE action = 'meeting.update' AND resource_id = $1 ORDER BY id`, [res.body.id]);
        assert.deepEqual(audit[0].detail, { fields: ['invitedGroups'], groups: ['cum-nam'] });
      });
    });
  });
}
