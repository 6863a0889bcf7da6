import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/stack';
import { repoRoot, sleep, track } from './harness';

/** Kamailio (Debian) with bench/kamailio.cfg, on a free loopback port, for the registration bench. */

export const KAMAILIO = ['/usr/sbin/kamailio', '/usr/bin/kamailio'].find((p) => existsSync(p));

export interface Kamailio {
  port: number;
  /** the main process (its workers are its children) */
  pid: number;
  stop(): Promise<void>;
}

export async function startKamailio(users: number, children = 4): Promise<Kamailio> {
  if (!KAMAILIO) throw new Error('kamailio not found (apt-get install kamailio)');
  const port = await freePort({ udp: true });
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-kamailio-'));
  const child = track(
    spawn(
      KAMAILIO,
      [
        '-f',
        join(repoRoot(), 'bench', 'kamailio.cfg'),
        '-DD',
        '-E',
        '-Y',
        dir,
        '-m',
        '256',
        '-M',
        '16',
        '-A',
        `BENCH_LISTEN=udp:127.0.0.1:${port}`,
        '-A',
        `BENCH_USERS=${users}`,
        '-A',
        `BENCH_CHILDREN=${children}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    ),
  );
  // Kamailio's workers outlive a killed main process: always signal the whole process group.
  const group = -child.pid!;
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(group, sig);
    } catch {
      /* gone */
    }
  };
  process.once('exit', () => killGroup('SIGKILL'));
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    log = (log + s).slice(-4000);
  });
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kamailio exited: ${log}`);
    if (readFileSync('/proc/net/udp', 'utf8').includes(`0100007F:${hexPort}`)) break;
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      throw new Error(`kamailio did not listen on 127.0.0.1:${port}: ${log}`);
    }
    await sleep(100);
  }
  await sleep(500); // the htable of users is filled at module init, the workers fork after it
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        killGroup('SIGTERM');
        const t = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await sleep(200);
      killGroup('SIGKILL'); // any worker still there
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
