import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'rtpengine-client';
import { freePort, GiveUp, waitFor } from './stack';
import { findExecutable } from './executables';
import { skipFor } from './skip';

/**
 * Starts the real rtpengine daemon (Debian `rtpengine-daemon`, 10.5) for tests: userspace only
 * (`--table=-1`, no kernel module), loopback, ng control on a free UDP port, RTP on a private port
 * range, logging into a throw-away directory (kept with DIEMCAU_KEEP_STACK_DIRS=1).
 *
 * Installing: `apt-get install rtpengine-daemon` (.ci/run does). Its package also enables systemd
 * units; nothing here uses them.
 */

const HOST = '127.0.0.1';

export interface TestRtpengine {
  host: '127.0.0.1';
  /** ng control port (UDP) */
  port: number;
  /** the RTP port range it allocates from */
  portMin: number;
  portMax: number;
  logFile: string;
  logTail(lines?: number): string;
  /** the active call-ids, through ng `list` */
  list(): Promise<string[]>;
  stop(): Promise<void>;
}

/** RTPENGINE_BIN wins outright (a missing file there means "not installed", to test the skip); then PATH. */
export function findRtpengine(): string | undefined {
  return findExecutable('RTPENGINE_BIN', 'rtpengine', ['/usr/bin/rtpengine']);
}

/** In a before() hook: the rtpengine binary, or one line and the suite skipped. */
export function requireRtpengine(ctx: Mocha.Context, what: string): string {
  return findRtpengine() ?? skipFor(ctx, what, 'rtpengine not found (install rtpengine-daemon or set RTPENGINE_BIN)');
}

// Last resort when the run dies or a test forgets stop(): mocha runs with --exit, so 'exit' fires;
// on Ctrl-C/kill we clean up and re-raise, as stack.ts and mocha do (the default action then ends
// the process, and 'exit' does not fire).
const children = new Map<ChildProcess, string>();
function killAll(): void {
  for (const [child, dir] of children) {
    child.kill('SIGKILL');
    if (process.env['DIEMCAU_KEEP_STACK_DIRS'] !== '1') rmSync(dir, { recursive: true, force: true });
  }
}
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll();
    process.kill(process.pid, sig);
  });
}

// RTP ranges: blocks of 100 above Linux's ephemeral range (32768–60999), so no client socket of
// this machine sits in them and FreeSWITCH's (16384–32767 by default) never overlaps. The block
// moves with the pid so that parallel test processes rarely share one; rtpengine skips busy ports.
const RANGE_BASE = 61_000;
const RANGE_SIZE = 100;
const RANGE_BLOCKS = 40;
let nextBlock = process.pid % RANGE_BLOCKS;

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface RtpengineOptions {
  binary?: string;
  startTimeoutMs?: number;
  extraArgs?: string[];
}

export async function startRtpengine(opts: RtpengineOptions = {}): Promise<TestRtpengine> {
  const binary = opts.binary ?? findRtpengine();
  if (!binary) throw new Error('rtpengine not found (install rtpengine-daemon or set RTPENGINE_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-rtpengine-'));
  const logFile = join(dir, 'rtpengine.log');
  // rtpengine binds its ng socket with address reuse: a taken port does NOT make it fail, two
  // daemons would share it. freePort() checks the port by binding it itself (without reuse), so
  // only a race with another process could cause that.
  const port = await freePort({ udp: true });
  const block = nextBlock++ % RANGE_BLOCKS;
  const portMin = RANGE_BASE + block * RANGE_SIZE;
  const portMax = portMin + RANGE_SIZE - 1;
  const args = [
    '--config-file=none',
    '--table=-1',
    `--interface=${HOST}`,
    `--listen-ng=${HOST}:${port}`,
    '--foreground',
    '--log-stderr',
    `--port-min=${portMin}`,
    `--port-max=${portMax}`,
    // two cores on CI: the default (one per core, and more for media) is more than tests need
    '--num-threads=2',
    ...(opts.extraArgs ?? []),
  ];
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.set(child, dir);
  child.once('exit', () => children.delete(child));

  // Our own ng client for ping (readiness) and list (what tests assert on).
  const client = new Client({ timeout: 1000, localAddress: HOST });
  client.on('error', () => {
    // late replies after a timeout: the poll simply tries again
  });
  const removeDir = () => {
    if (process.env['DIEMCAU_KEEP_STACK_DIRS'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    client.close();
    child.kill('SIGTERM');
    if (!(await exited(child, 5000))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
  };

  try {
    await waitFor(
      'rtpengine to answer ping',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`exited (${child.exitCode ?? child.signalCode})`);
        const res = await client.ping(port, HOST);
        return res.result === 'pong' ? true : undefined;
      },
      opts.startTimeoutMs ?? 15_000,
      100,
    );
  } catch (err) {
    await kill();
    const log = tail(logFile);
    removeDir();
    throw new Error(`rtpengine did not start (${(err as Error).message}); last log lines:\n${log}`);
  }

  let stopped: Promise<void> | undefined;
  return {
    host: HOST,
    port,
    portMin,
    portMax,
    logFile,
    logTail: (lines) => tail(logFile, lines),
    async list() {
      const res = await client.list(port, HOST, {});
      if (res.result !== 'ok') throw new Error(`rtpengine list: ${res['error-reason'] ?? res.result}`);
      return [...(res.calls ?? [])];
    },
    stop() {
      stopped ??= kill().then(removeDir);
      return stopped;
    },
  };
}
