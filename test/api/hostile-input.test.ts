import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { TEST_REALM, TestApi } from '../support/api';
import { ApiFuzzer, type Known, type OpenApi } from '../support/api-fuzzer';
import { migratedDataSource, migratedEmbeddedDataSource } from '../support/db';

/** Writes `request` on a fresh connection, as no HTTP client would, and reads the answer to the end. */
function rawExchange(host: string, port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, host, () => socket.end(request));
    socket
      .setEncoding('utf8')
      .on('data', (d: string) => (answer += d))
      .on('end', () => resolve(answer))
      .on('error', reject);
  });
}

/**
 * Sites, a group of them, meetings and a key for the fuzzer's valid requests to find. The sites it
 * may invite are invited already, so a DELETE cannot take them away; the meeting open in room 2001,
 * for the join API, is not among the ids, so nothing cancels or moves it.
 */
async function seedData(api: TestApi): Promise<Known> {
  const created = async (path: string, json: unknown): Promise<string> => {
    const res = await api.request('POST', `/api/v1${path}`, { json });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
  const iaPal = await created('/sites', {
    code: 'fz-ia-pal',
    name: 'Xã Ia Pal',
    sipUri: 'sip:ia-pal@10.20.1.5',
    sipUsername: 'fz-ia-pal',
    sipPassword: 'mật-khẩu-123',
    allowedNetworks: ['10.20.1.0/24'],
  });
  const hBong = await created('/sites', { code: 'fz-h-bong', name: 'Xã H Bông', protocol: 'h323', h323Alias: '8401' });
  const spare = await created('/sites', { code: 'fz-spare', name: 'Xã Dự Phòng' });
  const cluster = await created('/site-groups', { code: 'fz-cum', name: 'Cụm xã', sites: ['fz-ia-pal', hBong] });
  await created('/meetings', {
    title: 'Giao ban',
    roomNumber: 2001,
    pin: '2468',
    allowGuests: true,
    invitedSites: ['fz-ia-pal'],
    startsAt: at(-5),
    endsAt: at(180),
  });
  const later = await created('/meetings', { title: 'Họp sau', roomNumber: 2002, invitedSites: ['fz-h-bong'], startsAt: at(1440), endsAt: at(1500) });
  const key = await created('/api-keys', { name: 'fuzz victim', role: 'viewer' });
  const operator = await created('/operators', { username: 'fz-op', name: 'Người Thử', role: 'operator', password: 'fuzz-password-long' });
  return {
    ids: { sites: [iaPal, hBong, spare], 'site-groups': [cluster], meetings: [later], 'api-keys': [key], operators: [operator] },
    siteRefs: ['fz-ia-pal', 'fz-h-bong', iaPal, hBong],
    groupRefs: ['fz-cum', cluster],
    rooms: ['2001', '2002'],
    pins: ['2468'],
    assets: ['join-abc123.js', 'missing-000.js', 'index.html'],
  };
}

const backends: { name: string; open: () => Promise<DataSource> }[] = [
  { name: 'PostgreSQL', open: async () => (await migratedDataSource()).ds },
  { name: 'PGlite', open: migratedEmbeddedDataSource },
];

/**
 * No client input makes the API fail: a property test of the whole HTTP surface (see ApiFuzzer),
 * sent with an admin key, on PostgreSQL and on PGlite. Seeded: FUZZ_SEED replays a run,
 * FUZZ_ITERATIONS sets the length of its random part.
 */

describe('API: hostile input on every route (seeded property test)', function () {
  this.timeout(180_000);
  const seed = Number(process.env['FUZZ_SEED'] ?? randomInt(2 ** 31));
  const iterations = Number(process.env['FUZZ_ITERATIONS'] ?? 250);
  let pageDir: string;

  before(async () => {
    console.log(`      hostile-input seed ${seed} (FUZZ_SEED=${seed} replays it; TEST_LOG_LEVEL=error shows the server's errors)`);
    // A built join page, so its routes answer with it rather than "not built".
    pageDir = await mkdtemp(join(tmpdir(), 'diemcau-fuzz-web-'));
    await mkdir(join(pageDir, 'assets'));
    await writeFile(join(pageDir, 'index.html'), '<!doctype html><title>join</title>');
    await writeFile(join(pageDir, 'assets', 'join-abc123.js'), 'console.log(1)');
  });
  after(async () => {
    if (pageDir) await rm(pageDir, { recursive: true, force: true });
  });

  for (const backend of backends) {
    describe(`on ${backend.name}`, () => {
      let api: TestApi;
      let known: Known;
      before(async function () {
        this.timeout(120_000);
        api = await TestApi.start({
          ds: await backend.open(),
          deps: (ds) => ({
            join: {
              ds,
              sipDomain: TEST_REALM,
              openBeforeMs: 15 * 60_000,
              tokenSecret: 'join-secret-for-the-fuzz-0123456789',
              wsServers: ['ws://127.0.0.1:9'],
              iceServers: [],
              // Wrong PINs are part of the game; a shut-out address would stop the join API being reached.
              pinFailures: new FailureLimiter({ maxFailures: 1_000_000, windowMs: 1000, blockMs: 1 }),
            },
            joinPageDir: pageDir,
          }),
        });
        known = await seedData(api);
      });
      after(async () => api?.close());

      it('refuses to delete a site a meeting refers to, whichever SQLSTATE the server reports it with', async () => {
        // PostgreSQL 18, and so PGlite, reports ON DELETE RESTRICT as 23001 where older servers say 23503.
        const res = await api.request('DELETE', `/api/v1/sites/${known.ids['sites']![0]}`);
        assert.equal(res.status, 409, res.text);
        assert.match(res.body.detail, /disable it/);
      });

      it('takes instants from 0001 to 9999 (UTC) and refuses those beyond, also when an extension computes one', async () => {
        for (const edge of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
          assert.equal((await api.request('GET', `/api/v1/meetings?from=${encodeURIComponent(edge)}`)).status, 200, edge);
        }
        for (const beyond of ['0000-12-31T23:59:59Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59-00:01']) {
          const res = await api.request('GET', `/api/v1/meetings?from=${encodeURIComponent(beyond)}`);
          assert.equal(res.status, 422, beyond);
          assert.deepEqual(
            res.body.errors.map((e: { field: string }) => e.field),
            ['query.from'],
          );
        }
        const last = await api.request('POST', '/api/v1/meetings', {
          json: { title: 'Cuối cùng', roomNumber: 2003, startsAt: '9999-12-31T22:00:00Z', endsAt: '9999-12-31T23:00:00Z' },
        });
        assert.equal(last.status, 201, last.text);
        const extended = await api.request('POST', `/api/v1/meetings/${last.body.id}/extend`, { json: { minutes: 240 } });
        assert.equal(extended.status, 422, extended.text);
        assert.equal((await api.request('DELETE', `/api/v1/meetings/${last.body.id}`)).status, 204);
      });

      it('answers requests Node refuses to parse as problem+json too', async () => {
        const { hostname, port } = new URL(api.base);
        const refused = [
          `GET /api/v1/sites?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          `GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`,
          'GET /api/v1/si\u0000tes HTTP/1.1\r\nHost: x\r\n\r\n',
          'GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n',
          'NOT HTTP AT ALL\r\n\r\n',
        ];
        for (const request of refused) {
          const answer = await rawExchange(hostname, Number(port), request);
          assert.match(answer, /^HTTP\/1\.1 4\d\d /, JSON.stringify(answer.slice(0, 80)));
          assert.match(answer, /\r\nContent-Type: application\/problem\+json\r\n/i, answer.slice(0, 200));
          const status = Number(answer.slice(9, 12));
          assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).status, status);
        }
      });

      it('answers every parameter, field, body, content type and method with a declared status, each 4xx as problem+json', async () => {
        const docReply = await api.request('GET', '/api/v1/openapi.json', { key: null });
        assert.equal(docReply.status, 200);
        assert.ok(docReply.body.paths['/api/v1/join/{room}/token'], 'the join API is in the document');
        const started = Date.now();
        const fuzz = new ApiFuzzer(api, docReply.body as OpenApi, seed, known);
        await fuzz.run(iterations);
        const shown = fuzz.failures.slice(0, 15).join('\n');
        assert.equal(fuzz.failures.length, 0, `${fuzz.failures.length} of ${fuzz.sent} requests were answered wrongly:\n${shown}`);
        assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype is untouched');
        assert.equal((await api.request('GET', '/api/v1/sites')).status, 200, 'the API still answers');
        const answered = Object.entries(fuzz.answered)
          .sort()
          .map(([k, n]) => `${n} ${k}`)
          .join(', ');
        console.log(`      ${backend.name}: ${fuzz.sent} requests (${answered}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      });
    });
  }
});
