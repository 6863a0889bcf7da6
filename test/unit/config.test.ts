import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, knownVariables, loadConfig } from '../../src/config/env';

describe('configuration', () => {
  it('has safe defaults: embedded database, loopback HTTP, no SIP', () => {
    const c = loadConfig({});
    assert.deepEqual(c.database, { embedded: { dataDir: './data' } });
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 3000, trustProxy: false }, 'X-Forwarded-* believed only when asked');
    assert.deepEqual(c.sessions, { idleMs: 8 * 3_600_000, maxMs: 7 * 24 * 3_600_000 });
    assert.equal(c.sip.drachtio, undefined);
    assert.deepEqual(c.freeswitch, []);
  });

  it('parses server lists', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db/diemcau',
      DRACHTIO_HOST: '127.0.0.1',
      FREESWITCH_SERVERS: '10.0.0.5:8021:ClueCon, 10.0.0.6:8021:s3cret:with:colons',
      RTPENGINE_SERVERS: '127.0.0.1:22222,[::1]:22223',
      ROOM_NUMBERS: '3000-3999',
    });
    assert.deepEqual(c.database, { url: 'postgres://u:p@db/diemcau' });
    assert.deepEqual(c.sip.drachtio, { host: '127.0.0.1', port: 9022, secret: 'cymru' });
    assert.deepEqual(c.freeswitch[1], { host: '10.0.0.6', port: 8021, password: 's3cret:with:colons' });
    assert.deepEqual(c.rtpengine, [
      { host: '127.0.0.1', port: 22222 },
      { host: '::1', port: 22223 },
    ]);
    assert.deepEqual(c.roomNumbers, { min: 3000, max: 3999 });
  });

  it('lists every bad variable in one readable error', () => {
    assert.throws(
      () => loadConfig({ HTTP_PORT: '70000', DATABASE_URL: 'mysql://x', FREESWITCH_SERVERS: 'fs1', JOIN_TOKEN_SECRET: 'short', TIME_ZONE: 'Mars/Base' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const vars = err.problems.map((p) => p.split(':')[0]).sort();
        assert.deepEqual(vars, ['DATABASE_URL', 'FREESWITCH_SERVERS', 'HTTP_PORT', 'JOIN_TOKEN_SECRET']);
        return true;
      },
    );
    assert.throws(() => loadConfig({ TIME_ZONE: 'Mars/Base' }), /TIME_ZONE: unknown time zone/);
    assert.throws(() => loadConfig({ H323_HOST: '127.0.0.1' }), /H323_HOST: .*DRACHTIO_HOST/);
    assert.throws(() => loadConfig({ FREESWITCH_MAX_MEMBERS: '1' }), /FREESWITCH_MAX_MEMBERS: 0 \(no limit\) or at least 2/);
    assert.throws(() => loadConfig({ FREESWITCH_MAX_MEMBERS: '-3' }), /FREESWITCH_MAX_MEMBERS/);
    assert.equal(loadConfig({}).media.maxMembersPerServer, 0);
    assert.equal(loadConfig({ FREESWITCH_MAX_MEMBERS: '300' }).media.maxMembersPerServer, 300);
    const servers = 'fs1.example:8021:secret,fs2.example:8021:secret';
    assert.deepEqual(
      [...loadConfig({ FREESWITCH_SERVERS: servers, FREESWITCH_REGIONS: 'fs1.example:8021=mien-bac, fs2.example:8021=mien-nam' }).media.regions],
      [
        ['fs1.example:8021', 'mien-bac'],
        ['fs2.example:8021', 'mien-nam'],
      ],
    );
    assert.throws(() => loadConfig({ FREESWITCH_SERVERS: servers, FREESWITCH_REGIONS: 'fs1.example:8021=Miền Bắc' }), /FREESWITCH_REGIONS: .*host:port=region/);
    assert.throws(
      () => loadConfig({ FREESWITCH_SERVERS: servers, FREESWITCH_REGIONS: 'fs9.example:8021=mien-bac' }),
      /fs9.example:8021 is not in FREESWITCH_SERVERS/,
    );
    assert.throws(() => loadConfig({ DRACHTIO_HOST: '127.0.0.1', H323_HOST: '0.0.0.0' }), /H323_ADVERTISED_ADDRESS/);
    assert.throws(() => loadConfig({ WEBHOOK_URL: 'http://127.0.0.1:9/hook' }), /WEBHOOK_SECRET/);
  });

  it('takes PUBLIC_URL as an http(s) base URL without its trailing slash', () => {
    assert.equal(loadConfig({}).publicUrl, undefined);
    assert.equal(loadConfig({ PUBLIC_URL: 'https://cau.example.gov.vn/' }).publicUrl, 'https://cau.example.gov.vn');
    assert.equal(loadConfig({ PUBLIC_URL: 'http://10.20.0.5:3000/cau' }).publicUrl, 'http://10.20.0.5:3000/cau');
    for (const bad of [
      'cau.example.gov.vn',
      'ftp://cau.example',
      'https://cau.example/?x=1',
      'https://cau.example/#top',
      'https://u:p@cau.example',
      'https://cau.example/a b',
    ]) {
      assert.throws(() => loadConfig({ PUBLIC_URL: bad }), /PUBLIC_URL: /, bad);
    }
  });

  it('gives secondary nodes the two-canvas twin of the shipped video profile, any other profile itself', () => {
    const secondary = (env: Record<string, string>) => loadConfig(env).media.secondaryProfile;
    assert.equal(secondary({}), 'diemcau-video-secondary');
    assert.equal(secondary({ CONFERENCE_PROFILE: 'diemcau-audio' }), 'diemcau-audio');
    assert.equal(secondary({ CONFERENCE_PROFILE: 'so-video', CONFERENCE_SECONDARY_PROFILE: 'so-video-2' }), 'so-video-2');
    assert.throws(() => loadConfig({ CONFERENCE_SECONDARY_PROFILE: 'a b' }), /CONFERENCE_SECONDARY_PROFILE/);
  });

  it('documents every variable in the README', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    assert.deepEqual(
      knownVariables.filter((v) => !readme.includes(`\`${v}\``)),
      [],
    );
  });

  it('keeps documents in DOCUMENTS_DIR by default, in an S3 bucket when one is named', () => {
    const local = loadConfig({});
    assert.equal(local.documents.maxBytes, 50 * 1024 * 1024);
    assert.ok('dir' in local.documents.store && local.documents.store.dir.endsWith('/data/documents'));
    const s3 = loadConfig({
      DOCUMENTS_S3_BUCKET: 'tai-lieu',
      DOCUMENTS_S3_ENDPOINT: 'http://minio:9000',
      DOCUMENTS_S3_ACCESS_KEY_ID: 'diemcau',
      DOCUMENTS_S3_SECRET_ACCESS_KEY: 'bí-mật',
      DOCUMENT_MAX_MB: '20',
    });
    assert.equal(s3.documents.maxBytes, 20 * 1024 * 1024);
    assert.deepEqual(s3.documents.store, {
      s3: {
        bucket: 'tai-lieu',
        region: 'us-east-1',
        endpoint: 'http://minio:9000',
        pathStyle: true,
        credentials: { accessKeyId: 'diemcau', secretAccessKey: 'bí-mật' },
      },
    });
    assert.throws(() => loadConfig({ DOCUMENT_MAX_MB: '0' }), /DOCUMENT_MAX_MB/);
    assert.throws(() => loadConfig({ DOCUMENTS_S3_ENDPOINT: 'ftp://minio' }), /DOCUMENTS_S3_ENDPOINT/);
    assert.throws(() => loadConfig({ DOCUMENTS_S3_BUCKET: 'b', DOCUMENTS_S3_ACCESS_KEY_ID: 'k' }), /DOCUMENTS_S3_BUCKET|set both or neither/);
    assert.throws(() => loadConfig({ DOCUMENTS_S3_BUCKET: 'tai-lieu', DOCUMENTS_S3_ACCESS_KEY_ID: 'k' }), /set both or neither/);
  });
});
