import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './executables';
import { exited, freePort, GiveUp, killOnExit, removeDir, tail, waitFor } from './stack';

/**
 * baresip 1.0 (Debian `baresip-core`) as a room system: its own config directory, no sound card,
 * audio from a WAV file (module aufile), what it hears written to a WAV file (module sndfile), and
 * driven over its TCP control socket (module ctrl_tcp: JSON in netstrings, commands and events).
 */

export function findBaresip(): string | undefined {
  return findExecutable('BARESIP_BIN', 'baresip');
}

export interface BaresipOptions {
  /** SIP user and digest password; the AOR is sip:<user>@<domain> */
  user: string;
  password: string;
  domain: string;
  /** host:port every request goes to (the bridge's drachtio-server) */
  proxy: string;
  /** 8 kHz mono 16-bit WAV sent as the microphone; baresip hangs up at its end, so make it long */
  audioIn: string;
  /** baresip's names, e.g. 'PCMU' or 'G722' */
  audioCodecs: readonly string[];
  /** Also send video (module fakevideo: colour bars, 352x288) in VP8, and allow `snapshot()`. */
  video?: boolean;
}

/** One message from ctrl_tcp: an event (`type` set) or the response to a command (`token` set). */
export interface BaresipMessage {
  event?: boolean;
  type?: string;
  response?: boolean;
  ok?: boolean;
  data?: string;
  token?: string;
  param?: string;
}

export class Baresip {
  readonly messages: BaresipMessage[] = [];
  private tokens = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly ctrl: Socket,
    readonly dir: string,
    private readonly logFile: string,
  ) {}

  static async start(binary: string, opts: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-baresip-'));
    const sipPort = await freePort({ udp: true });
    const ctrlPort = await freePort();
    // Module order matters: codecs and devices before the apps that use them. alsa's `null` device
    // stands in for a sound card (nothing is played; the sndfile filter records the decoded audio
    // before it would be). net_interface must be an address: `lo` is not found by name in 1.0.
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_transports udp',
        'net_interface 127.0.0.1',
        `audio_source aufile,${opts.audioIn}`,
        'audio_player alsa,null',
        'audio_alert alsa,null',
        'ausrc_srate 8000',
        'auplay_srate 8000',
        'ausrc_channels 1',
        'auplay_channels 1',
        // clear of FreeSWITCH's RTP range (16384-32768) and of linphonec's (see linphonec.ts)
        'rtp_ports 40000-40999',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module g722.so',
        'module aufile.so',
        'module alsa.so',
        'module sndfile.so',
        `snd_path ${dir}`,
        ...(opts.video
          ? [
              'video_source fakevideo,nil',
              'video_display fakevideo,nil',
              'video_size 352x288',
              'video_fps 10',
              'video_bitrate 300000',
              'module vp8.so',
              'module fakevideo.so',
              'module snapshot.so',
            ]
          : []),
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${opts.user}@${opts.domain}>;auth_pass=${opts.password};outbound="sip:${opts.proxy};transport=udp";regint=300;audio_codecs=${opts.audioCodecs.join(',')}${opts.video ? ';video_codecs=VP8' : ''}\n`,
    );
    writeFileSync(join(dir, 'contacts'), '');
    const logFile = join(dir, 'baresip.log');
    const fd = openSync(logFile, 'a');
    // the snapshot module writes into the working directory
    const child = spawn(binary, ['-4', '-f', dir], { cwd: dir, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    killOnExit(child);
    try {
      const ctrl = await waitFor(
        'baresip to open its control socket',
        () =>
          new Promise<Socket | undefined>((resolve) => {
            if (child.exitCode !== null) throw new GiveUp(`baresip exited with status ${child.exitCode}`);
            const s = createConnection({ host: '127.0.0.1', port: ctrlPort });
            s.once('connect', () => resolve(s));
            s.once('error', () => resolve(undefined));
          }),
        10_000,
        100,
      );
      const b = new Baresip(child, ctrl, dir, logFile);
      ctrl.on('data', b.netstrings());
      return b;
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}; baresip log:\n${tail(logFile)}`);
    }
  }

  /** Sends a command (as typed at its prompt, without the slash) and resolves with its response. */
  async command(command: string, params = ''): Promise<BaresipMessage> {
    const token = `t${++this.tokens}`;
    const json = Buffer.from(JSON.stringify({ command, params, token }));
    this.ctrl.write(Buffer.concat([Buffer.from(`${json.length}:`), json, Buffer.from(',')]));
    const response = await waitFor(`baresip's response to ${command}`, async () => this.messages.find((m) => m.response && m.token === token), 5000, 50);
    if (!response.ok) throw new Error(`baresip ${command} ${params}: ${response.data}`);
    return response;
  }

  /** The first event of this type (already received or still to come). */
  event(type: string, timeoutMs = 10_000): Promise<BaresipMessage> {
    return waitFor(`baresip event ${type}`, async () => this.messages.find((m) => m.event && m.type === type), timeoutMs, 50).catch((err: Error) => {
      throw new Error(`${err.message}; baresip log:\n${this.logTail()}`);
    });
  }

  /** The decoded audio it received in its last call (sndfile's `dump-<time>-dec.wav`). */
  receivedWav(): string {
    const dumps = readdirSync(this.dir)
      .filter((f) => /^dump-.*-dec\.wav$/.test(f))
      .sort();
    if (!dumps.length) throw new Error(`baresip recorded nothing in ${this.dir}; log:\n${this.logTail()}`);
    return join(this.dir, dumps[dumps.length - 1]!);
  }

  /** A PNG of the next video frame it decodes (the snapshot module's `snapshot-recv-<time>.png`). */
  async snapshot(): Promise<string> {
    const before = new Set(readdirSync(this.dir));
    await this.command('snapshot');
    const file = await waitFor(
      'baresip to write the snapshot of the video it receives',
      async () => readdirSync(this.dir).find((f) => /^snapshot-recv-.*\.png$/.test(f) && !before.has(f)),
      10_000,
      100,
    );
    return join(this.dir, file);
  }

  logTail(lines = 25): string {
    // the menu module redraws a call status line with carriage returns: keep the last state only
    return tail(this.logFile, lines).replace(/^.*\r(?!$)/gm, '');
  }

  /** `quit`: it un-registers, then exits. */
  async quit(): Promise<void> {
    await this.command('quit').catch(() => undefined); // it may close the socket before answering
    if (!(await exited(this.child, 10_000))) throw new Error(`baresip did not exit; log:\n${this.logTail()}`);
  }

  /** Kills it if still running, and removes its directory. */
  async stop(): Promise<void> {
    this.ctrl.destroy();
    if (!(await exited(this.child, 0))) {
      this.child.kill('SIGKILL');
      await exited(this.child, 5000);
    }
    removeDir(this.dir);
  }

  private netstrings(): (chunk: Buffer) => void {
    let buf = Buffer.alloc(0);
    return (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const colon = buf.indexOf(':');
        if (colon < 0) return;
        const len = Number(buf.subarray(0, colon).toString('ascii'));
        if (buf.length < colon + 1 + len + 1) return;
        this.messages.push(JSON.parse(buf.subarray(colon + 1, colon + 1 + len).toString('utf8')) as BaresipMessage);
        buf = buf.subarray(colon + 1 + len + 1);
      }
    };
  }
}
