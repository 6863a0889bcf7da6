import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './stack';
import { findExecutable } from './executables';
import { skipFor } from './skip';

/**
 * Runs sipp (Debian `sip-tester`, 3.6.1) as a SIP test peer: UAC scenarios against the bridge, UAS
 * scenarios the bridge dials out to. Every run binds to 127.0.0.1 on a free port, traces every SIP
 * message into a file, and returns that trace, so tests assert on real headers and status codes.
 * Scenarios live in test/sip/scenarios/ (see sippScenario()); each says at its top what it expects.
 */

const HOST = '127.0.0.1';
/** exitCode after timeoutMs, as timeout(1) reports it */
const TIMED_OUT = 124;

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
  /** -inf: a CSV file for [fieldN] */
  csv?: string;
  /** or the CSV rows (fields of one call each; see sippAuthField()), written to a temporary -inf file */
  csvRows?: readonly (readonly string[])[];
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
  /**
   * sipp's status: 0 all calls succeeded, 1 some failed, 97 internal exit, 99 no call processed,
   * 255 fatal (e.g. a bad scenario), 254 port taken, 128+n killed by signal n (139: crashed).
   * After a timeout always 124 (sipp itself says 0 when killed
   * amid a call that has not failed yet), so 0 means every call ran to the end of the scenario.
   */
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
  /** the registrar's SIP domain: the AOR of REGISTER scenarios is sip:<user>@<domain> */
  domain: HOST,
  expires: '300',
};

/** SIPP_BIN wins outright (a missing file there means "not installed", to test the skip); then PATH. */
export function findSipp(): string | undefined {
  return findExecutable('SIPP_BIN', 'sipp', ['/usr/bin/sipp', '/usr/local/bin/sipp']);
}

/** In a before() hook: the sipp binary, or one line and the suite skipped. */
export function requireSipp(ctx: Mocha.Context, what: string): string {
  return findSipp() ?? skipFor(ctx, what, 'sipp not found (install sip-tester or set SIPP_BIN)');
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

/** The text of a sipp -inf file: the order line, then one row per call, fields separated by ';'. */
export function sippCsv(rows: readonly (readonly string[])[], order: 'SEQUENTIAL' | 'RANDOM' | 'USER' = 'SEQUENTIAL'): string {
  for (const f of rows.flat()) if (/[;\r\n]/.test(f)) throw new Error(`unusable in a sipp CSV field: ${JSON.stringify(f)}`);
  return `${order}\n${rows.map((r) => `${r.join(';')};`).join('\n')}\n`;
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

// Last resort if a test forgets stop() or dies: mocha runs with --exit, so 'exit' fires; the
// 'close' handlers never run then, so the temporary directories go here too.
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [c, dir] of running) {
    c.kill('SIGKILL');
    removeDir(dir);
  }
});

function removeDir(dir: string): void {
  if (process.env['DIEMCAU_KEEP_SIPP_DIRS'] === '1') console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

function buildArgs(opts: Omit<SippOptions, 'timeoutMs'>, localPort: number, dir: string): string[] {
  const args = [
    '-sf',
    resolve(opts.scenario),
    '-i',
    HOST,
    '-p',
    String(localPort),
    '-m',
    String(opts.calls ?? 1),
    '-r',
    String(opts.rate ?? 10),
    // no keyboard, no curses screen on a pipe; everything that matters goes into files
    '-nostdin',
    '-trace_msg',
    '-message_file',
    join(dir, 'messages.log'),
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    // answer stray INFO/NOTIFY/OPTIONS/UPDATE (keepalives from the bridge) instead of failing the call
    '-aa',
  ];
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.csv !== undefined) args.push('-inf', resolve(opts.csv));
  if (opts.csvRows !== undefined) {
    writeFileSync(join(dir, 'fields.csv'), sippCsv(opts.csvRows));
    args.push('-inf', join(dir, 'fields.csv'));
  }
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
  running.set(child, dir);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 2000);
  };
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          kill();
        }, timeoutMs);
  const result = new Promise<SippResult>((resolvePromise, reject) => {
    child.once('error', (err) => {
      running.delete(child);
      clearTimeout(timer);
      removeDir(dir);
      reject(err);
    });
    // 'close', not 'exit': stdout and stderr are complete then
    child.once('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(killTimer);
      const res: SippResult = {
        // a signal as the shell reports it: 139 = SIGSEGV (sipp 3.6.1 does crash on some scenarios)
        exitCode: timedOut ? TIMED_OUT : (code ?? 128 + (signal ? constants.signals[signal] : 0)),
        timedOut,
        stdout,
        stderr,
        localPort,
        messages: readOr(join(dir, 'messages.log')),
        errors: readOr(join(dir, 'errors.log')),
      };
      removeDir(dir);
      resolvePromise(res);
    });
  });
  return { child, localPort, dir, result, kill };
}

// sipp exits 254 on a taken port: freePort() cannot reserve it between the check and sipp's bind
const portTaken = (r: SippResult) => r.exitCode === 254 && /Unable to bind main socket/.test(r.stderr + r.errors);

/** Runs a scenario to its end (or timeoutMs) and returns sipp's status and the message trace. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  for (let attempt = 1; ; attempt++) {
    const localPort = opts.localPort ?? (await freePort({ udp: true }));
    const res = await spawnSipp(opts, localPort, opts.timeoutMs).result;
    if (opts.localPort === undefined && attempt < 3 && portTaken(res)) continue;
    return res;
  }
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

/**
 * sipp (pid) has bound 127.0.0.1:port: its socket inodes against /proc/net/udp. Whose socket it is
 * matters: someone else holding the port would look like a ready UAS. Without procfs: true.
 */
function sippListening(pid: number, port: number): boolean {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '';
        } catch {
          return '';
        }
      }),
    );
  } catch {
    return !existsSync('/proc/self/fd');
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // columns: sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((l) => {
      const cols = l.trim().split(/\s+/);
      return cols[1] === local && inodes.has(cols[9] ?? '-');
    });
}

/**
 * Starts a long-running UAS scenario (e.g. uas-answer) and resolves once it listens: the bridge's
 * dial-out targets `127.0.0.1:<port>`. Without `calls` it serves any number of calls until stop().
 */
export async function startSippUas(opts: Omit<SippOptions, 'target' | 'timeoutMs' | 'calls'> & { calls?: number; timeoutMs?: number }): Promise<SippUas> {
  for (let attempt = 1; ; attempt++) {
    const port = opts.localPort ?? (await freePort({ udp: true }));
    // a UAS ends after -m calls: a number no test reaches means "until stop()"
    const p = spawnSipp({ ...opts, calls: opts.calls ?? 1_000_000 }, port, opts.timeoutMs);
    let exited: SippResult | undefined;
    void p.result.then(
      (r) => {
        exited = r;
      },
      () => undefined,
    );
    const deadline = Date.now() + 5000;
    const listening = () => p.child.pid !== undefined && sippListening(p.child.pid, port);
    while (!exited && !listening() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (exited || !listening()) {
      p.kill();
      const res = await p.result;
      if (opts.localPort === undefined && attempt < 3 && portTaken(res)) continue;
      throw new Error(`sipp UAS did not start on 127.0.0.1:${port} (status ${res.exitCode}):\n${res.errors || res.stderr}`);
    }
    return {
      host: HOST,
      port,
      messages: () => readOr(join(p.dir, 'messages.log')),
      done: p.result,
      async stop() {
        p.kill();
        return p.result;
      },
    };
  }
}
