import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createDataSource } from '../../src/db/data-source';
import { Operators } from '../../src/access/operators';
import { createTestDatabase } from '../support/db';

const cli = join(__dirname, '..', '..', 'src', 'cli.js');

/** Runs the command line with `input` on its standard input (a pipe, not a terminal). */
function run(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('command line: operator accounts', function () {
  this.timeout(60_000);

  it('creates an account with the password from standard input, and sets a new one', async () => {
    const url = await createTestDatabase();
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' as const };
    const created = await run(['user', 'create', '--username', 'Lan', '--name', 'Nguyễn Thị Lan', '--role', 'admin'], env, 'mật khẩu đủ dài\n');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /operator lan \(admin\) created/);
    assert.ok(!created.stdout.includes('mật khẩu'), 'the password is not echoed');

    const again = await run(['user', 'create', '--username', 'lan', '--name', 'X', '--role', 'viewer'], env, 'mật khẩu đủ dài\n');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    const weak = await run(['user', 'create', '--username', 'hoa', '--name', 'Hoà', '--role', 'viewer'], env, 'ngắn\n');
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /password must be at least 10 characters/);
    const none = await run(['user', 'create', '--username', 'hoa', '--name', 'Hoà', '--role', 'viewer'], env, '');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no password on standard input/);
    const onCommandLine = await run(['user', 'create', '--username', 'hoa', '--name', 'Hoà', '--role', 'viewer', '--password', 'x'], env, '');
    assert.equal(onCommandLine.code, 2, 'there is no --password');

    const changed = await run(['user', 'passwd', '--username', 'LAN'], env, 'mật khẩu mới dài\nignored\n');
    assert.equal(changed.code, 0, changed.stderr);
    const unknown = await run(['user', 'passwd', '--username', 'nobody'], env, 'mật khẩu mới dài\n');
    assert.equal(unknown.code, 2);

    const { ds } = createDataSource({ url });
    await ds.initialize();
    try {
      const operators = new Operators(ds);
      assert.equal(await operators.authenticate('lan', 'mật khẩu đủ dài'), null);
      const lan = await operators.authenticate('lan', 'mật khẩu mới dài');
      assert.equal(lan?.name, 'Nguyễn Thị Lan');
      assert.equal(lan?.role, 'admin');
      const actions = (await ds.query(`SELECT actor, action FROM audit_event WHERE resource_type = 'operator' ORDER BY id`)) as {
        actor: string;
        action: string;
      }[];
      assert.deepEqual(actions, [
        { actor: 'cli', action: 'operator.create' },
        { actor: 'cli', action: 'operator.password' },
      ]);
    } finally {
      await ds.destroy();
    }
  });
});
