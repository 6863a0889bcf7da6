import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { createTestDatabase } from '../../test/support/db';
import { freePort, startDrachtio, startFreeswitch, waitFor, type DrachtioServer, type FreeswitchServer } from '../../test/support/stack';
import { repoRoot, track } from './harness';

/**
 * The real application process, `node dist/src/cli.js serve`, as an operator runs it: its own
 * PostgreSQL database (on the bench's private server), drachtio-server and FreeSWITCH with the
 * project's configuration, configured through the environment only. The bench talks to it over
 * HTTP and SIP, and reads the same database through `ds` to seed it.
 */

export const APP_DOMAIN = 'bridge.test';

export interface AppProcess {
  pid: number;
  base: string;
  sipTarget: string;
  ds: DataSource;
  drachtio: DrachtioServer;
  fs: FreeswitchServer;
  logTail(): string;
  stop(): Promise<void>;
}

export async function startApp(env: Record<string, string> = {}): Promise<AppProcess> {
  const url = await createTestDatabase();
  const drachtio = await startDrachtio({ loglevel: 'notice' });
  const fs = await startFreeswitch();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-app-'));
  const logFile = join(dir, 'app.log');
  const fd = openSync(logFile, 'a');
  const child = track(
    // BENCH_APP_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (written when serve exits on SIGTERM).
    spawn(process.execPath, [...(process.env['BENCH_APP_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), join(repoRoot(), 'dist', 'src', 'cli.js'), 'serve'], {
      cwd: repoRoot(),
      stdio: ['ignore', fd, fd],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        DATABASE_URL: url,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        SIP_DOMAIN: APP_DOMAIN,
        DRACHTIO_HOST: drachtio.host,
        DRACHTIO_PORT: String(drachtio.adminPort),
        DRACHTIO_SECRET: drachtio.secret,
        FREESWITCH_SERVERS: `${fs.host}:${fs.eslPort}:${fs.eslPassword}`,
        FREESWITCH_CALLBACK_ADDRESS: '127.0.0.1',
        LOG_LEVEL: process.env['BENCH_APP_LOG_LEVEL'] ?? 'info',
        LOG_FORMAT: 'json',
        ...env,
      },
    }),
  );
  closeSync(fd);
  const tail = () => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'diemcau serve to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        const res = await fetch(`${base}/readyz`);
        return res.status === 200 ? true : undefined;
      },
      60_000,
      250,
    );
  } catch (err) {
    child.kill('SIGKILL');
    await drachtio.stop();
    await fs.stop();
    throw new Error(`${(err as Error).message}\n${tail()}`);
  }
  const { ds } = createDataSource({ url });
  await ds.initialize();
  return {
    pid: child.pid!,
    base,
    sipTarget: `127.0.0.1:${drachtio.sipPort}`,
    ds,
    drachtio,
    fs,
    logTail: tail,
    async stop() {
      await ds.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      await drachtio.stop();
      await fs.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
