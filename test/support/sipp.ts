import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { freePort } from './stack';

/**
 * Runs sipp (Debian `sip-tester`, 3.6.1) as a SIP test peer: UAC scenarios against the bridge, UAS
 * scenarios the bridge dials out to. Every run binds to 127.0.0.1 on a free port, traces every SIP
 * message into a file, and returns that trace, so tests assert on real headers and status codes.
 * Scenarios live in test/sip/scenarios/ (see sippScenario()); each says at its top what it expects.
 */

const HOST = '127.0.0.1';

export interface SippOptions {
  /** path of the scenario XML, e.g. sippScenario('invite-call') */
  scenario: string;
  /** host:port of the peer; required for UAC scenarios */
  target?: string;
  /** SIP port to bind (-p); default a free one */
  localPort?: number;
  /** -m: stop after this many calls (default 1) */
  calls?: number;
  /** -r: calls per second (default 10) */
  rate?: number;
  /** -s: the [service] keyword, the request-URI user of UAC scenarios */
  service?: string;
  /** -inf: a CSV file for [fieldN] (see writeSippCsv()) */
  csv?: string;
  /** -set: global variables, declared in the scenario with <Global variables="…"/> */
  vars?: Record<string, string>;
  /** -key: text keywords [name] for the scenario; added to SIPP_DEFAULT_KEYS (which they override) */
  keys?: Record<string, string>;
  /** -d: the duration of <pause/> without milliseconds (ms) */
  pauseMs?: number;
  /** kill sipp (SIGTERM, then SIGKILL) after this long; the result has timedOut: true */
  timeoutMs: number;
  extraArgs?: string[];
}

export interface SippResult {
  /** sipp's status: 0 all calls succeeded, 1 some failed, 97 internal exit, 99 no call processed, 255 fatal */
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** the -trace_msg file: every SIP message sent and received, with sipp's separators */
  messages: string;
  /** the -trace_err file: unexpected messages and scenario errors */
  errors: string;
  localPort: number;
}

/** Keywords every scenario here may use, so that a bare scenario runs; override with `keys`. */
export const SIPP_DEFAULT_KEYS: Readonly<Record<string, string>> = {
  from_user: 'sipp',
  from_domain: HOST,
  display: 'SIPp',
  user_agent: 'diemcau-sipp',
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** SIPP_BIN wins outright (a missing file there means "not installed", to test the skip); then PATH. */
export function findSipp(): string | undefined {
  const fromEnv = process.env['SIPP_BIN'];
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'sipp'))) return join(dir, 'sipp');
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) if (isExecutable(join(dir, 'sipp'))) return join(dir, 'sipp');
  return undefined;
}

/** In a before() hook: the sipp binary, or one line and the suite skipped. */
export function requireSipp(ctx: Mocha.Context, what: string): string {
  const bin = findSipp();
  if (!bin) {
    console.log(`skip: ${what}: sipp not found (install sip-tester or set SIPP_BIN)`);
    ctx.skip();
  }
  return bin!;
}

/** The scenario directory, from either dist/test/support (compiled) or test/support (tsx). */
export function sippScenario(name: string): string {
  const file = name.endsWith('.xml') ? name : `${name}.xml`;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'sip', 'scenarios', file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`sipp scenario ${file} not found in test/sip/scenarios above ${__dirname}`);
}

/**
 * `[authentication username=… password=…]` for a CSV field: sipp 3.6.1 breaks the nested form
 * `[authentication username=[field0] …]` in a scenario, but expands the keyword found in an injected
 * field. Quoted values allow spaces; ']', '"', ';' and line breaks cannot be carried.
 */
export function sippAuthField(username: string, password: string): string {
  for (const v of [username, password]) if (/[\]";\r\n]/.test(v)) throw new Error(`unusable in a sipp CSV field: ${JSON.stringify(v)}`);
  return `[authentication username="${username}" password="${password}"]`;
}

/** Writes a sipp -inf file (one row per call, fields separated by ';') into a new temporary dir. */
export function writeSippCsv(rows: readonly (readonly string[])[], order: 'SEQUENTIAL' | 'RANDOM' | 'USER' = 'SEQUENTIAL'): string {
  for (const f of rows.flat()) if (/[;\r\n]/.test(f)) throw new Error(`unusable in a sipp CSV field: ${JSON.stringify(f)}`);
  const file = join(mkdtempSync(join(tmpdir(), 'diemcau-sipp-csv-')), 'fields.csv');
  writeFileSync(file, `${order}\n${rows.map((r) => `${r.join(';')};`).join('\n')}\n`);
  return file;
}

/** One message of a -trace_msg file. */
export interface SippTraceMessage {
  direction: 'sent' | 'received';
  /** the start line, e.g. 'INVITE sip:…' or 'SIP/2.0 404 Not Found' */
  startLine: string;
  /** the response status, for responses */
  status?: number;
  text: string;
}

/** Splits a -trace_msg file into its SIP messages, in order. */
export function parseSippTrace(messages: string): SippTraceMessage[] {
  const out: SippTraceMessage[] = [];
  // each entry: "----…---- <date>\nUDP message sent (N bytes):\n\n<SIP message>"
  const re = /^\S+ message (sent|received) [^\n]*:\n\n([\s\S]*?)(?=\n-{20,}|$(?![\s\S]))/gm;
  for (const m of messages.matchAll(re)) {
    const text = m[2]!.replace(/\s+$/, '');
    const startLine = text.split(/\r?\n/, 1)[0] ?? '';
    const status = /^SIP\/2\.0 (\d{3})/.exec(startLine)?.[1];
    out.push({ direction: m[1] === 'sent' ? 'sent' : 'received', startLine, text, ...(status ? { status: Number(status) } : {}) });
  }
  return out;
}

/** The status codes sipp received (for `method`'s requests, when given), in order. */
export function receivedStatuses(messages: string, method?: string): number[] {
  return parseSippTrace(messages)
    .filter((m) => m.direction === 'received' && m.status !== undefined)
    .filter((m) => !method || new RegExp(`^CSeq:\\s*\\d+\\s+${method}\\s*$`, 'im').test(m.text))
    .map((m) => m.status!);
}

// Last resort if a test forgets stop() or dies: mocha runs with --exit, so 'exit' fires.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function buildArgs(opts: Omit<SippOptions, 'timeoutMs'>, localPort: number, dir: string): string[] {
  const args = [
    '-sf', resolve(opts.scenario),
    '-i', HOST, '-p', String(localPort),
    '-m', String(opts.calls ?? 1), '-r', String(opts.rate ?? 10),
    // no keyboard, no curses screen on a pipe; everything that matters goes into files
    '-nostdin',
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    // answer stray INFO/NOTIFY/OPTIONS/UPDATE (keepalives from the bridge) instead of failing the call
    '-aa',
  ];
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.csv !== undefined) args.push('-inf', resolve(opts.csv));
  if (opts.pauseMs !== undefined) args.push('-d', String(opts.pauseMs));
  for (const [k, v] of Object.entries({ ...SIPP_DEFAULT_KEYS, ...opts.keys })) args.push('-key', k, v);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-set', k, v);
  args.push(...(opts.extraArgs ?? []));
  if (opts.target !== undefined) args.push(opts.target);
  return args;
}

const readOr = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

interface SippProcess {
  child: ChildProcess;
  localPort: number;
  dir: string;
  result: Promise<SippResult>;
  /** SIGTERM, then SIGKILL if sipp lingers */
  kill(): void;
}

function spawnSipp(opts: Omit<SippOptions, 'timeoutMs'>, localPort: number, timeoutMs?: number): SippProcess {
  const bin = findSipp();
  if (!bin) throw new Error('sipp not found (install sip-tester or set SIPP_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-sipp-'));
  // cwd = dir: whatever else sipp writes (stats, logs named after the scenario) stays in there
  const child = spawn(bin, buildArgs(opts, localPort, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 2000);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => { timedOut = true; kill(); }, timeoutMs);
  const result = new Promise<SippResult>((resolvePromise, reject) => {
    child.once('error', (err) => {
      running.delete(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    // 'close', not 'exit': stdout and stderr are complete then
    child.once('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(killTimer);
      const res: SippResult = {
        exitCode: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : -1),
        timedOut, stdout, stderr, localPort,
        messages: readOr(join(dir, 'messages.log')),
        errors: readOr(join(dir, 'errors.log')),
      };
      if (process.env['DIEMCAU_KEEP_SIPP_DIRS'] === '1') console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
      resolvePromise(res);
    });
  });
  return { child, localPort, dir, result, kill };
}

/** Runs a scenario to its end (or timeoutMs) and returns sipp's status and the message trace. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const localPort = opts.localPort ?? (await freePort({ udp: true }));
  return spawnSipp(opts, localPort, opts.timeoutMs).result;
}

export interface SippUas {
  host: '127.0.0.1';
  port: number;
  /** the message trace so far */
  messages(): string;
  /** resolves when sipp exits by itself (e.g. after `calls` calls), with everything it did */
  readonly done: Promise<SippResult>;
  /** ends sipp (if still running) and returns its result */
  stop(): Promise<SippResult>;
}

/** sipp bound its SIP socket: visible in /proc/net/udp without touching the port ourselves. */
function udpBound(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === `0100007F:${hexPort}`);
  } catch {
    return true; // no procfs: rely on the delay below
  }
}

/**
 * Starts a long-running UAS scenario (e.g. uas-answer) and resolves once it listens: the bridge's
 * dial-out targets `127.0.0.1:<port>`. Without `calls` it serves any number of calls until stop().
 */
export async function startSippUas(opts: Omit<SippOptions, 'target' | 'timeoutMs' | 'calls'> & { calls?: number; timeoutMs?: number }): Promise<SippUas> {
  const port = opts.localPort ?? (await freePort({ udp: true }));
  // -m 0 would mean "no limit" only for a UAC; a UAS without -m serves until killed
  const p = spawnSipp({ ...opts, calls: opts.calls ?? 1_000_000 }, port, opts.timeoutMs);
  const deadline = Date.now() + 5000;
  let exited = false;
  void p.result.then(() => { exited = true; }, () => { exited = true; });
  while (!udpBound(port)) {
    if (exited) {
      const res = await p.result;
      throw new Error(`sipp UAS exited at start (status ${res.exitCode}):\n${res.stderr || res.stdout}`);
    }
    if (Date.now() > deadline) {
      p.kill();
      throw new Error(`sipp UAS did not bind 127.0.0.1:${port} in 5 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 50));
  return {
    host: HOST, port,
    messages: () => readOr(join(p.dir, 'messages.log')),
    done: p.result,
    async stop() {
      p.kill();
      return p.result;
    },
  };
}
