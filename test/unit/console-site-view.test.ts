import assert from 'node:assert/strict';
import {
  emptySiteForm,
  errorsByField,
  formOf,
  importLineErrors,
  inputOf,
  relativeTime,
  siteCondition,
  type Site,
  type SiteState,
} from '../../src/console/site-view';

const state = (s: Partial<SiteState> = {}): SiteState => ({
  siteId: 's1',
  registered: false,
  userAgent: null,
  inCall: null,
  readiness: null,
  lastSeenAt: null,
  ...s,
});

const site: Site = {
  id: 's1',
  code: 'ia-pal',
  name: 'Xã Ia Pal',
  protocol: 'sip',
  sipUri: 'sip:ia-pal@10.20.1.5',
  h323Address: null,
  h323Alias: null,
  sipUsername: 'ia-pal',
  hasSipPassword: true,
  allowedNetworks: ['10.20.1.0/24', '10.20.2.0/24'],
  deviceModel: 'Polycom Group 500',
  bandwidthKbps: 1024,
  h264PacketizationMode: 0,
  region: 'tay-nguyen',
  contactName: null,
  contactPhone: '0269 3850 100',
  enabled: true,
};

describe('console: what the Sites page shows', () => {
  it('names a site\u2019s condition: disabled, then in a call, registered, unreachable at its last check, not registered', () => {
    const unreachable = { meetingId: 'm', reachable: false, checkedAt: '2026-12-07T01:00:00Z' };
    assert.equal(siteCondition({ enabled: false }, state({ inCall: { meetingId: 'm' }, registered: true })), 'disabled');
    assert.equal(siteCondition({ enabled: true }, state({ inCall: { meetingId: 'm' }, registered: true })), 'in-call');
    assert.equal(siteCondition({ enabled: true }, state({ registered: true, readiness: unreachable })), 'registered');
    assert.equal(siteCondition({ enabled: true }, state({ readiness: unreachable })), 'unreachable');
    assert.equal(siteCondition({ enabled: true }, state({ readiness: { ...unreachable, reachable: true } })), 'not-registered');
    assert.equal(siteCondition({ enabled: true }, undefined), 'not-registered');
  });

  it('says how long ago, in the largest whole unit, in either language', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    const ago = (ms: number) => new Date(now - ms).toISOString();
    assert.equal(relativeTime(ago(20_000), now, 'en-GB'), 'now');
    assert.equal(relativeTime(ago(5 * 60_000 + 59_000), now, 'en-GB'), '5 minutes ago');
    assert.equal(relativeTime(ago(3 * 3600_000), now, 'en-GB'), '3 hours ago');
    assert.equal(relativeTime(ago(26 * 3600_000), now, 'en-GB'), 'yesterday');
    assert.equal(relativeTime(ago(9 * 86_400_000), now, 'en-GB'), '9 days ago');
    assert.equal(relativeTime(ago(5 * 60_000), now, 'vi-VN'), '5 phút trước');
  });

  it('turns a site into its form and back: empty inputs clear, the password goes only when typed', () => {
    const form = formOf(site);
    assert.equal(form.allowedNetworks, '10.20.1.0/24\n10.20.2.0/24');
    assert.equal(form.sipPassword, '');
    const { id: _id, hasSipPassword: _has, ...fields } = site;
    assert.deepEqual(inputOf(form), fields);
    const changed = inputOf({
      ...form,
      deviceModel: '  ',
      region: '',
      bandwidthKbps: '',
      h264PacketizationMode: '1',
      sipPassword: 'mat-khau-moi',
      allowedNetworks: '10.0.0.1, 10.0.0.2;10.0.0.3',
    });
    assert.equal(changed.deviceModel, null);
    assert.equal(changed.region, null);
    assert.equal(changed.bandwidthKbps, null);
    assert.equal(changed.h264PacketizationMode, 1);
    assert.equal(changed.sipPassword, 'mat-khau-moi');
    assert.deepEqual(changed.allowedNetworks, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.equal(inputOf(emptySiteForm).sipUri, null);
  });

  it('puts a problem\u2019s field errors beside their inputs, and the rest in one place', () => {
    const byField = errorsByField(
      [
        { field: 'sipUri', message: 'must be a SIP URI' },
        { field: 'allowedNetworks.1', message: '"x" is not an IP network' },
        { field: 'allowedNetworks.2', message: '"y" is not an IP network' },
        { field: 'query.bogus', message: 'unknown field' },
        { field: 'body', message: 'expected object' },
      ],
      Object.keys(emptySiteForm),
    );
    assert.deepEqual(byField, {
      sipUri: ['must be a SIP URI'],
      allowedNetworks: ['"x" is not an IP network', '"y" is not an IP network'],
      '': ['query.bogus: unknown field', 'expected object'],
    });
  });

  it('reads the import\u2019s errors as lines and columns, in line order', () => {
    assert.deepEqual(
      importLineErrors([
        { field: 'line 4.sipUri', message: 'must be a SIP URI' },
        { field: 'line 1', message: 'column "name" is required' },
        { field: 'line 3.code', message: 'code "ia-pal" already appears on line 2' },
      ]),
      [
        { line: 1, column: null, message: 'column "name" is required' },
        { line: 3, column: 'code', message: 'code "ia-pal" already appears on line 2' },
        { line: 4, column: 'sipUri', message: 'must be a SIP URI' },
      ],
    );
  });
});
