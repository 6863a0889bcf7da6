import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './executables';
import { exited, freePort, killOnExit, removeDir, tail, waitFor } from './stack';

/**
 * linphonec 5.1 (Debian `linphone-cli`) as a room system: a config file and HOME of its own in a
 * temporary directory, no sound card (`soundcard use files`: a WAV file is the microphone, another
 * records what it hears), driven by typing commands on its standard input.
 *
 * Quirks of this version, worked around here:
 * - The `[sip] sip_port` of the config file is never bound (the core stays in its Startup state and
 *   `ports` says `sip port = 0`), so nothing is sent ("No listening point matching …"). The
 *   `ports sip <n>` command binds it, and registration starts at once.
 * - A call to the proxy's domain is sent to that domain's own address (port 5060) unless the
 *   account has `reg_route`.
 * - The recorder writes the WAV header's sizes at the end of the call, too large by the header's
 *   length (read it with parseWav's trustFileLength).
 * - `quit` does not un-register: `unregister` does.
 */

export function findLinphonec(): string | undefined {
  return findExecutable('LINPHONEC_BIN', 'linphonec');
}

export interface LinphonecOptions {
  user: string;
  password: string;
  domain: string;
  /** host:port every request goes to (the bridge's drachtio-server) */
  proxy: string;
  /** WAV played as the microphone */
  audioIn: string;
  /** Also send video (its static picture; it has VP8 here, no H.264 encoder) and allow `snapshot()`. */
  video?: boolean;
}

export class Linphonec {
  private out = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    private readonly logFile: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
    });
  }

  /** What it hears, once the call has ended. */
  get recording(): string {
    return join(this.dir, 'received.wav');
  }

  static async start(binary: string, opts: LinphonecOptions): Promise<Linphonec> {
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-linphonec-'));
    const sipPort = await freePort({ udp: true });
    const rc = join(dir, 'linphonerc');
    const route = `<sip:${opts.proxy};transport=udp>`;
    writeFileSync(
      rc,
      [
        '[sip]',
        'bind_address=127.0.0.1',
        'sip_tcp_port=0',
        'default_proxy=0',
        'register_only_when_network_is_up=0',
        '[rtp]',
        'bind_address=127.0.0.1',
        // clear of FreeSWITCH's RTP range (16384-32768) and of baresip's (see baresip.ts)
        'audio_rtp_port=42000-42999',
        'video_rtp_port=43000-43999',
        '[net]',
        'ipv6=0',
        '[sound]',
        'echocancellation=0',
        '[video]',
        // no window for the received video (no X server in a test): the app would draw it itself
        'displaytype=MSExtDisplay',
        'device=StaticImage: Static picture',
        '[proxy_0]',
        `reg_proxy=${route}`,
        `reg_route=${route}`,
        `reg_identity=sip:${opts.user}@${opts.domain}`,
        'reg_expires=300',
        'reg_sendregister=1',
        '[auth_info_0]',
        `username=${opts.user}`,
        `passwd=${opts.password}`,
        `realm=${opts.domain}`,
        `domain=${opts.domain}`,
        '',
      ].join('\n'),
    );
    const logFile = join(dir, 'linphonec.log');
    // HOME: it keeps a database, a ZRTP cache and its history there
    const child = spawn(binary, [...(opts.video ? ['-V'] : []), '-c', rc, '-d', '5', '-l', logFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, HOME: dir },
    });
    killOnExit(child);
    const l = new Linphonec(child, dir, logFile);
    try {
      await l.type(`ports sip ${sipPort}`, /Setting sip port to \d+/);
      await l.type('soundcard use files', /Using wav files instead of soundcard/);
      // play and record print nothing; the commands run in order, so the next one's answer is theirs
      l.send(`play ${opts.audioIn}`);
      l.send(`record ${l.recording}`);
    } catch (err) {
      await l.stop();
      throw err;
    }
    return l;
  }

  /** Calls uri and resolves once the call is connected and its media flows. */
  async call(uri: string, timeoutMs = 15_000): Promise<void> {
    await this.type(`call ${uri}`, /Media streams established with .* for call \d+/, timeoutMs);
  }

  /** A JPEG of the video it receives, in the call. */
  async snapshot(): Promise<string> {
    const file = join(this.dir, `snapshot-${Date.now()}.jpg`);
    await this.type(`snapshot ${file}`, /Taking video snapshot/);
    await waitFor('linphonec to write the snapshot', async () => (existsSync(file) && statSync(file).size > 0 ? true : undefined), 10_000, 100);
    return file;
  }

  async terminate(): Promise<void> {
    await this.type('terminate', /Call \d+ with .* ended/);
  }

  /** Un-registers, then quits. */
  async quit(): Promise<void> {
    this.send('unregister');
    this.send('quit');
    if (!(await exited(this.child, 10_000))) throw new Error(`linphonec did not exit; output:\n${this.outputTail()}`);
  }

  async stop(): Promise<void> {
    if (!(await exited(this.child, 0))) {
      this.child.kill('SIGKILL');
      await exited(this.child, 5000);
    }
    removeDir(this.dir);
  }

  outputTail(lines = 25): string {
    return `${this.out.trimEnd().split('\n').slice(-lines).join('\n')}\n--- ${this.logFile}:\n${tail(this.logFile, lines)}`;
  }

  private send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Types a command and waits for its answer (only output after the command counts). */
  private async type(line: string, answer: RegExp, timeoutMs = 10_000): Promise<void> {
    const from = this.out.length;
    this.send(line);
    await waitFor(`linphonec to answer "${line}"`, async () => (answer.test(this.out.slice(from)) ? true : undefined), timeoutMs, 50).catch((err: Error) => {
      throw new Error(`${err.message}; output:\n${this.outputTail()}`);
    });
  }
}
