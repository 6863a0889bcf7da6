import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Client } from 'pg';

/**
 * The tests run against a real PostgreSQL server. With TEST_DATABASE_URL set they use that server;
 * otherwise they start a private, throw-away cluster (initdb in a temporary directory, loopback only,
 * a free port) from the PostgreSQL binaries installed on the machine, and remove it afterwards.
 */

export interface TestPostgres {
  /** URL of a maintenance database on the server, for CREATE DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

function findBinDir(): string {
  const fromEnv = process.env['PG_BIN_DIR'];
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  throw new Error('PostgreSQL server binaries not found: install the "postgresql" package or set TEST_DATABASE_URL');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const url = process.env['TEST_DATABASE_URL'];
  if (url) return { adminUrl: url, stop: async () => {} };

  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root; run it as the system's postgres user then.
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const [initCmd, initArgs] = wrap(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [pgCmd, pgArgs] = wrap(join(bin, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-k',
    dir,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]);
  const proc: ChildProcess = spawn(pgCmd, pgArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = new Client({ connectionString: adminUrl });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`the test PostgreSQL server did not start:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // runuser does not pass signals on, so the server is stopped through pg_ctl — also when the test
  // process exits early, so that no cluster outlives its run.
  const [stopCmd, stopArgs] = wrap(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-s']);
  const stopNow = () => {
    if (proc.exitCode !== null) return;
    try {
      execFileSync(stopCmd, stopArgs, { stdio: 'pipe' });
    } catch {
      proc.kill('SIGKILL');
    }
  };
  process.once('exit', () => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    adminUrl,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        stopNow();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
