import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Mrf from 'drachtio-fsmrf';
import SrfClass from 'drachtio-srf';
import type Srf from 'drachtio-srf';
import { findExecutable } from './executables';
import { skipFor } from './skip';

/**
 * Starts the real drachtio-server and FreeSWITCH, with the project's own configuration
 * (sip/drachtio.conf.xml, dialplans/freeswitch), on free loopback ports, for tests.
 * Each server gets a throw-away directory (logs, FreeSWITCH's runtime files) removed on stop();
 * set DIEMCAU_KEEP_STACK_DIRS=1 to keep them for a post-mortem.
 */

export type StackBinaryEnv = 'DRACHTIO_BIN' | 'FREESWITCH_BIN';
export type StackServer = 'drachtio' | 'freeswitch';

const HOST = '127.0.0.1';
const SERVERS: Record<StackServer, { env: StackBinaryEnv; name: string; label: string; fallback: string }> = {
  drachtio: { env: 'DRACHTIO_BIN', name: 'drachtio', label: 'drachtio-server', fallback: '/opt/drachtio/bin/drachtio' },
  freeswitch: { env: 'FREESWITCH_BIN', name: 'freeswitch', label: 'FreeSWITCH', fallback: '/opt/freeswitch/bin/freeswitch' },
};

/**
 * The env var wins outright: pointing it at a missing file means "not installed", so a test run can
 * prove the skip path on a machine that has the servers (an empty value counts as unset). Then
 * PATH, then the local build in /opt.
 */
export function findBinary(envVar: StackBinaryEnv, name: string): string | undefined {
  const fallback = Object.values(SERVERS).find((s) => s.env === envVar)?.fallback;
  return findExecutable(envVar, name, fallback ? [fallback] : []);
}

/**
 * In a before() hook: returns the binaries, or prints one line and skips the suite (fails it under
 * DIEMCAU_NO_SKIP=1), so machines without the servers still run everything else.
 */
export function requireStack(ctx: Mocha.Context, what: string): Record<StackServer, string>;
export function requireStack<S extends StackServer>(ctx: Mocha.Context, what: string, needs: readonly S[]): Record<S, string>;
export function requireStack(
  ctx: Mocha.Context,
  what: string,
  needs: readonly StackServer[] = ['drachtio', 'freeswitch'],
): Partial<Record<StackServer, string>> {
  const found: Partial<Record<StackServer, string>> = {};
  const missing: StackServer[] = [];
  for (const s of needs) {
    const bin = findBinary(SERVERS[s].env, SERVERS[s].name);
    if (bin) found[s] = bin;
    else missing.push(s);
  }
  if (missing.length) {
    const labels = missing.map((s) => SERVERS[s].label).join(' and ');
    const envs = missing.map((s) => SERVERS[s].env).join(', ');
    skipFor(ctx, what, `${labels} not found (set ${envs})`);
  }
  return found;
}

/** The repository root, from either dist/test/support (compiled) or test/support (tsx). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'sip', 'drachtio.conf.xml'))) return dir;
  }
  throw new Error(`cannot find the repository root (sip/drachtio.conf.xml) above ${__dirname}`);
}

// Ports handed out by this process: bind(0) may return a port we gave out but nobody bound yet.
const handedOut = new Set<number>();

function tcpPortFree0(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

/** A loopback port that is free now for TCP (and UDP when asked: SIP listens on both). */
export async function freePort(opts: { udp?: boolean } = {}): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tcpPortFree0();
    if (handedOut.has(port)) continue;
    if (opts.udp && !(await udpPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free loopback port found');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by a waitFor() probe to stop polling at once (a server died): other errors are retried. */
export class GiveUp extends Error {}

/** Polls until probe returns a value (not undefined); its last error goes into the timeout message. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(everyMs);
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: HOST, port });
    c.setTimeout(1000);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
    c.once('timeout', () => {
      c.destroy();
      resolve(false);
    });
  });
}

export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Removes a test's throw-away directory, unless DIEMCAU_KEEP_STACK_DIRS=1 keeps it for a post-mortem. */
export function removeDir(dir: string): void {
  if (process.env['DIEMCAU_KEEP_STACK_DIRS'] === '1') console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

// Last resort when a test run dies or forgets stop(): mocha runs with --exit, so 'exit' fires; on
// Ctrl-C/kill we clean up and re-raise, as mocha's own handlers do. The FreeSWITCH daemon is not
// our child: nothing else would ever stop it.
const children = new Set<ChildProcess>();
const daemonPids = new Set<number>();
function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const pid of daemonPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.once('exit', killAll);

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll();
    process.kill(process.pid, sig);
  });
}

/** Kills the child with the rest when the test process ends or is interrupted. */
export function killOnExit(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Resolves true once the child has exited, false after timeoutMs. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// drachtio exits on a taken port; FreeSWITCH keeps running without the profile or the event socket.
const isPortClash = (log: string) => /Address already in use|Error Creating SIP UA|Could not listen on/i.test(log);

// ---------------------------------------------------------------------------------------------
// drachtio-server

export interface DrachtioOptions {
  binary?: string;
  secret?: string;
  loglevel?: 'notice' | 'error' | 'warning' | 'info' | 'debug';
  sofiaLoglevel?: number;
  startTimeoutMs?: number;
}

export interface DrachtioServer {
  host: '127.0.0.1';
  adminPort: number;
  /** udp and tcp */
  sipPort: number;
  wsPort: number;
  secret: string;
  logFile: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startDrachtio(opts: DrachtioOptions = {}): Promise<DrachtioServer> {
  const binary = opts.binary ?? findBinary('DRACHTIO_BIN', 'drachtio');
  if (!binary) throw new Error('drachtio-server not found (set DRACHTIO_BIN)');
  const secret = opts.secret ?? randomBytes(12).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-drachtio-'));
  const logFile = join(dir, 'drachtio.log');
  // A port taken between freePort() and the bind makes drachtio exit (with status 0): try again.
  for (let attempt = 1; ; attempt++) {
    const adminPort = await freePort();
    const sipPort = await freePort({ udp: true });
    const wsPort = await freePort();
    const args = [
      '-f',
      join(repoRoot(), 'sip', 'drachtio.conf.xml'),
      // the command-line contacts replace the file's, so the fixed 5060/8088 are never bound
      '--contact',
      `sip:${HOST}:${sipPort};transport=udp,tcp`,
      '--contact',
      `sip:${HOST}:${wsPort};transport=ws`,
      '--address',
      HOST,
      '--port',
      String(adminPort),
      '--secret',
      secret,
      '--loglevel',
      opts.loglevel ?? 'info',
      '--sofia-loglevel',
      String(opts.sofiaLoglevel ?? 3),
    ];
    const fd = openSync(logFile, 'a');
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    killOnExit(child);
    try {
      // The admin port opens before the SIP stack binds: wait for every listener.
      await waitFor(
        'drachtio-server to listen',
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp('exited');
          for (const p of [adminPort, sipPort, wsPort]) if (!(await tcpAccepts(p))) return undefined;
          return true;
        },
        opts.startTimeoutMs ?? 15_000,
        100,
      );
    } catch (err) {
      child.kill('SIGKILL');
      await exited(child, 5000);
      const log = tail(logFile);
      if (attempt < 3 && isPortClash(log)) continue;
      removeDir(dir);
      throw new Error(`drachtio-server did not start (${(err as Error).message}); last log lines:\n${log}`);
    }
    return {
      host: HOST,
      adminPort,
      sipPort,
      wsPort,
      secret,
      logFile,
      logTail: (lines) => tail(logFile, lines),
      async stop() {
        child.kill('SIGTERM');
        if (!(await exited(child, 5000))) {
          child.kill('SIGKILL');
          await exited(child, 5000);
        }
        removeDir(dir);
      },
    };
  }
}

/** srf.connect() returns the app, not a promise; this resolves on 'connect' with the SIP hostports. */
export function connectSrf(srf: Srf, d: Pick<DrachtioServer, 'host' | 'adminPort' | 'secret'>, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`no connection to drachtio at ${d.host}:${d.adminPort} in ${timeoutMs} ms`)), timeoutMs);
    const onConnect = (err: Error | null, hostport: string) => done(err ?? undefined, hostport);
    const onError = (err: Error) => done(err);
    function done(err?: Error, hostport?: string) {
      clearTimeout(t);
      srf.removeListener('connect', onConnect);
      srf.removeListener('error', onError);
      if (err) reject(err);
      else resolve(hostport ?? '');
    }
    srf.on('connect', onConnect);
    srf.on('error', onError);
    void srf.connect({ host: d.host, port: d.adminPort, secret: d.secret });
  });
}

// ---------------------------------------------------------------------------------------------
// FreeSWITCH

/**
 * One event-socket exchange: auth, `api <command>`, the reply body. A connection per command keeps
 * it stateless; tests issue a handful. Works without the fs_cli binary.
 */
/** One ESL frame: its headers (lower-cased names) and body. */
interface EslFrame {
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** Splits an event-socket byte stream into frames (headers, blank line, Content-Length body). */
function eslFrames(onFrame: (f: EslFrame) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\n\n');
      if (end < 0) return;
      const headers = parseEslHeaders(buf.subarray(0, end).toString('utf8'), false);
      const len = Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 2 + len) return;
      const body = buf.subarray(end + 2, end + 2 + len).toString('utf8');
      buf = buf.subarray(end + 2 + len);
      onFrame({ headers, body });
    }
  };
}

function parseEslHeaders(text: string, urlEncoded: boolean): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const v = line.slice(i + 1).trim();
    headers.set(line.slice(0, i).trim().toLowerCase(), urlEncoded ? decodeURIComponent(v) : v);
  }
  return headers;
}

/**
 * One event-socket exchange: auth, `api <command>`, the reply body. A connection per command keeps
 * it stateless; tests issue a handful. Works without the fs_cli binary.
 */
export function eslApi(host: string, port: number, password: string, command: string, timeoutMs = 10_000): Promise<string> {
  if (/[\r\n]/.test(command) || /[\r\n]/.test(password)) return Promise.reject(new Error('newline in ESL command'));
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    let settled = false;
    const finish = (err: Error | null, body?: string) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(body ?? '');
    };
    sock.setTimeout(timeoutMs, () => finish(new Error(`ESL ${host}:${port}: no reply to "${command}" in ${timeoutMs} ms`)));
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`ESL ${host}:${port}: connection closed before the reply to "${command}"`)));
    sock.on(
      'data',
      eslFrames(({ headers, body }) => {
        switch (headers.get('content-type')) {
          case 'auth/request':
            sock.write(`auth ${password}\n\n`);
            break;
          case 'command/reply':
            if (!headers.get('reply-text')?.startsWith('+OK')) return finish(new Error(`ESL auth failed: ${headers.get('reply-text')}`));
            sock.write(`api ${command}\n\n`);
            break;
          case 'api/response':
            return finish(null, body);
          case 'text/rude-rejection':
            return finish(new Error(`ESL rejected the connection: ${body.trim()}`));
          default:
            break; // disconnect notices and events are not ours
        }
      }),
    );
  });
}

/** A FreeSWITCH event as the event socket delivers it (`event plain`). */
export interface FsEvent {
  /** Event headers, names lower-cased, values decoded. */
  readonly headers: Map<string, string>;
  readonly body: string;
}

export interface FsEventStream {
  readonly events: readonly FsEvent[];
  /** The first event (already received or still to come) matching `pred`. */
  waitFor(pred: (e: FsEvent) => boolean, timeoutMs?: number): Promise<FsEvent>;
  close(): void;
}

/** Subscribes to FreeSWITCH events by name (e.g. RECV_INFO) on an event-socket connection of its own. */
export function eslEvents(host: string, port: number, password: string, names: readonly string[]): Promise<FsEventStream> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    const events: FsEvent[] = [];
    let subscribing = false;
    const waiters = new Set<{ pred: (e: FsEvent) => boolean; resolve: (e: FsEvent) => void }>();
    const stream: FsEventStream = {
      events,
      waitFor(pred, timeoutMs = 5000) {
        const seen = events.find(pred);
        if (seen) return Promise.resolve(seen);
        return new Promise((res, rej) => {
          const w = {
            pred,
            resolve: (e: FsEvent) => {
              clearTimeout(timer);
              res(e);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(w);
            rej(new Error(`no matching FreeSWITCH event in ${timeoutMs} ms (${events.length} received)`));
          }, timeoutMs);
          waiters.add(w);
        });
      },
      close: () => sock.destroy(),
    };
    sock.on('error', reject);
    sock.on(
      'data',
      eslFrames(({ headers, body }) => {
        switch (headers.get('content-type')) {
          case 'auth/request':
            sock.write(`auth ${password}\n\n`);
            return;
          case 'command/reply':
            if (!headers.get('reply-text')?.startsWith('+OK')) return reject(new Error(`ESL: ${headers.get('reply-text')}`));
            if (subscribing) return resolve(stream); // the reply to `event plain`
            subscribing = true; // the reply to `auth`
            return void sock.write(`event plain ${names.join(' ')}\n\n`);
          case 'text/event-plain': {
            const split = body.indexOf('\n\n');
            const event = { headers: parseEslHeaders(split < 0 ? body : body.slice(0, split), true), body: split < 0 ? '' : body.slice(split + 2) };
            events.push(event);
            for (const w of [...waiters])
              if (w.pred(event)) {
                waiters.delete(w);
                w.resolve(event);
              }
            return;
          }
          default:
            return;
        }
      }),
    );
  });
}

export interface FreeswitchOptions {
  binary?: string;
  /** the config tree to copy; default: the project's dialplans/freeswitch */
  configDir?: string;
  eslPassword?: string;
  /** more vars.xml overrides, e.g. { rtp_start_port: '40000', rtp_end_port: '40999' } */
  vars?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface FreeswitchServer {
  host: '127.0.0.1';
  eslPort: number;
  eslPassword: string;
  /** the drachtio_mrf profile (udp and tcp) */
  sipPort: number;
  pid: number;
  /** the temporary tree: conf/, log/freeswitch.log, db/, run/ … */
  dir: string;
  /** an API command over the event socket, e.g. 'sofia status'; resolves with FreeSWITCH's reply */
  fsCli(command: string): Promise<string>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** A zombie counts as gone: the daemon is reparented to whatever PID 1 is, which may never reap it. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    if (existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function varsLocalXml(vars: Record<string, string>): string {
  const lines = Object.entries(vars).map(([k, v]) => {
    if (!/^[A-Za-z0-9_]+$/.test(k) || /["<>\r\n]/.test(v)) throw new Error(`unusable FreeSWITCH var ${k}=${v}`);
    return `  <X-PRE-PROCESS cmd="set" data="${k}=${v}"/>`;
  });
  return `<include>\n${lines.join('\n')}\n</include>\n`;
}

export async function startFreeswitch(opts: FreeswitchOptions = {}): Promise<FreeswitchServer> {
  const binary = opts.binary ?? findBinary('FREESWITCH_BIN', 'freeswitch');
  if (!binary) throw new Error('FreeSWITCH not found (set FREESWITCH_BIN)');
  const eslPassword = opts.eslPassword ?? randomBytes(12).toString('hex');
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-fs-'));
    const d = (name: string) => join(dir, name);
    cpSync(opts.configDir ?? join(repoRoot(), 'dialplans', 'freeswitch'), d('conf'), { recursive: true });
    const eslPort = await freePort();
    const sipPort = await freePort({ udp: true });
    writeFileSync(
      join(d('conf'), 'vars.local.xml'),
      varsLocalXml({
        esl_listen_ip: HOST,
        esl_listen_port: String(eslPort),
        esl_password: eslPassword,
        mrf_ip: HOST,
        mrf_ext_ip: HOST,
        mrf_sip_port: String(sipPort),
        domain: HOST,
        ...opts.vars,
      }),
    );
    // Every writable location goes into dir: nothing of the installed prefix is touched.
    const locations = ['log', 'db', 'run', 'temp', 'certs', 'storage', 'recordings', 'cache'];
    for (const l of locations) mkdirSync(d(l), { recursive: true });
    const launchLog = d('launch.log');
    const fsLog = join(d('log'), 'freeswitch.log');
    const logs = () => `${tail(launchLog, 5)}\n--- freeswitch.log:\n${tail(fsLog)}`;

    // -ncwait: the launcher exits once the forked daemon reports ready (or failed).
    const fd = openSync(launchLog, 'a');
    const launcher = spawn(binary, ['-nonat', '-nc', '-ncwait', '-conf', d('conf'), ...locations.flatMap((l) => [`-${l}`, d(l)])], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    killOnExit(launcher);
    const launched = await exited(launcher, timeoutMs);
    const pidText = existsSync(join(d('run'), 'freeswitch.pid')) ? readFileSync(join(d('run'), 'freeswitch.pid'), 'utf8') : '';
    const pid = Number(/System Ready pid:(\d+)/.exec(tail(launchLog, 50))?.[1] ?? pidText.trim());
    if (pid > 0) daemonPids.add(pid);

    const kill = async () => {
      launcher.kill('SIGKILL');
      if (pid > 0 && pidAlive(pid)) {
        process.kill(pid, 'SIGKILL');
        await pidGone(pid, 5000);
      }
      daemonPids.delete(pid);
    };
    const fsCli = (command: string) => eslApi(HOST, eslPort, eslPassword, command);

    try {
      if (!launched) throw new Error(`not ready after ${timeoutMs} ms`);
      if (launcher.exitCode !== 0 || !(pid > 0)) throw new Error(`launcher exit status ${launcher.exitCode}`);
      // Ready means modules loaded, not that sofia bound its port: wait for the profile.
      await waitFor(
        'the drachtio_mrf profile',
        async () => {
          if (!pidAlive(pid)) throw new GiveUp('FreeSWITCH exited');
          if (isPortClash(tail(fsLog, 200))) throw new GiveUp('a port was taken');
          return /^\s*drachtio_mrf\s+profile\s+\S+\s+RUNNING/m.test(await fsCli('sofia status')) ? true : undefined;
        },
        timeoutMs,
        250,
      );
    } catch (err) {
      await kill();
      const log = logs();
      removeDir(dir);
      if (attempt < 3 && isPortClash(log)) continue;
      throw new Error(`FreeSWITCH did not start (${(err as Error).message}); last log lines:\n${log}`);
    }

    return {
      host: HOST,
      eslPort,
      eslPassword,
      sipPort,
      pid,
      dir,
      fsCli,
      logTail: (lines) => tail(fsLog, lines),
      async stop() {
        if (pidAlive(pid)) {
          // the reply may not make it out before the socket closes
          await fsCli('shutdown').catch(() => undefined);
          if (!(await pidGone(pid, 20_000))) await kill();
        }
        daemonPids.delete(pid);
        removeDir(dir);
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Both servers and the clients on them

export interface MediaStack {
  drachtio: DrachtioServer;
  fs: FreeswitchServer;
  srf: Srf;
  /** drachtio-fsmrf connected to the FreeSWITCH, made on first use. */
  mediaServer(): Promise<Mrf.MediaServer>;
  /** Clients first (drachtio-srf emits errors when its server vanishes under it), then the servers. */
  stop(): Promise<void>;
}

/**
 * drachtio-server and FreeSWITCH started side by side, with a drachtio-srf app on the first. If one
 * fails to start, the other is stopped before the error is thrown.
 */
export async function startMediaStack(bin: Record<StackServer, string>, opts: { freeswitch?: FreeswitchOptions } = {}): Promise<MediaStack> {
  const [d, f] = await Promise.allSettled([startDrachtio({ binary: bin.drachtio }), startFreeswitch({ binary: bin.freeswitch, ...opts.freeswitch })]);
  if (d.status === 'rejected' || f.status === 'rejected') {
    await Promise.allSettled([d.status === 'fulfilled' && d.value.stop(), f.status === 'fulfilled' && f.value.stop()]);
    throw d.status === 'rejected' ? d.reason : (f as PromiseRejectedResult).reason;
  }
  const drachtio = d.value;
  const fs = f.value;
  const srf = new SrfClass();
  try {
    await connectSrf(srf, drachtio);
  } catch (err) {
    await Promise.allSettled([drachtio.stop(), fs.stop()]);
    throw err;
  }
  let ms: Mrf.MediaServer | undefined;
  return {
    drachtio,
    fs,
    srf,
    async mediaServer() {
      // explicit addresses: fsmrf would otherwise advertise the first non-loopback IPv4
      ms ??= await new Mrf(srf).connect({
        address: fs.host,
        port: fs.eslPort,
        secret: fs.eslPassword,
        listenAddress: '127.0.0.1',
        advertisedAddress: '127.0.0.1',
      });
      return ms;
    },
    async stop() {
      ms?.disconnect();
      srf.disconnect();
      await Promise.allSettled([drachtio.stop(), fs.stop()]);
    },
  };
}
