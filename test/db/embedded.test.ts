import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const cli = join(__dirname, '..', '..', 'src', 'cli.js');
const run = promisify(execFile);

/** The zero-set-up path a new user takes: no DATABASE_URL, PGlite under DATA_DIR. */
describe('embedded database (PGlite), through the command line', function () {
  this.timeout(120_000);
  let dataDir: string;
  const env = () => ({ ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'info' as const });

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'diemcau-embedded-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seeds the demo district, then serves it with diacritics intact', async () => {
    const seeded = await run('node', [cli, 'seed', '--demo'], { env: env() });
    assert.match(seeded.stdout, /sites: 15 created/);
    assert.match(seeded.stdout, /Xã Bờ Ngoong/);
    const again = await run('node', [cli, 'seed', '--demo'], { env: env() });
    assert.match(again.stdout, /sites: 0 created, 15 already present/);
    const token = (await run('node', [cli, 'apikey', 'create', '--name', 'smoke', '--role', 'viewer'], { env: env() })).stdout.trim();
    const user = ['user', 'create', '--username', 'lan', '--name', 'Nguyễn Thị Lan', '--role', 'operator'];
    assert.match(execFileSync('node', [cli, ...user], { env: env(), input: 'mật khẩu đủ dài\n' }).toString(), /operator lan \(operator\) created/);

    const server = spawn('node', [cli, 'serve'], { env: { ...env(), HTTP_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"port":(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/sites?limit=100`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { total: number; items: { name: string; code: string }[] };
      assert.equal(body.total, 15);
      const names = body.items.map((s) => s.name);
      for (const name of [
        'Thị trấn Chư Sê',
        'Xã Albá',
        'Xã Bar Măih',
        'Xã Bờ Ngoong',
        'Xã Chư Pơng',
        'Xã H Bông',
        'Xã Ia Hlốp',
        'Xã Ia Tiêm',
        'Xã Kông Htok',
      ]) {
        assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      }
      const meetings = (await (await fetch(`http://127.0.0.1:${port}/api/v1/meetings`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        items: { roomNumber: number; invitedSites: unknown[]; hasPin: boolean }[];
      };
      assert.equal(meetings.items.length, 1);
      assert.equal(meetings.items[0]!.roomNumber, 2001);
      assert.equal(meetings.items[0]!.invitedSites.length, 15);

      // The console's way in, on PGlite too: sign in, use the cookie, sign out.
      const signIn = await fetch(`http://127.0.0.1:${port}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'lan', password: 'mật khẩu đủ dài' }),
      });
      assert.equal(signIn.status, 201);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const { csrfToken } = (await signIn.json()) as { csrfToken: string };
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/sites`, { headers: { cookie } })).status, 200);
      const signOut = await fetch(`http://127.0.0.1:${port}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrfToken } });
      assert.equal(signOut.status, 204);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/sites`, { headers: { cookie } })).status, 401);

      await assert.rejects(run('node', [cli, 'migrate'], { env: env() }), /in use by process/, 'a second process is refused');
    } finally {
      const exited = new Promise<number | null>((r) => server.once('exit', r));
      server.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    assert.ok(!existsSync(join(dataDir, 'diemcau.pid')), 'the lock is released on shutdown');
  });

  it('explains a bad configuration instead of starting', async () => {
    await assert.rejects(
      run('node', [cli, 'serve'], { env: { ...env(), HTTP_PORT: 'eighty', ROOM_NUMBERS: '9-1' } }),
      (err: { stderr: string; code: number }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr, /invalid configuration/);
        assert.match(err.stderr, /HTTP_PORT/);
        assert.match(err.stderr, /ROOM_NUMBERS: must be MIN-MAX/);
        return true;
      },
    );
  });
});
