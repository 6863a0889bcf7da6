import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Mrf from 'drachtio-fsmrf';
import {
  PROMPT_LANGUAGES,
  PROMPT_NAMES,
  PROMPT_RATES,
  PROMPT_TEXTS,
  promptPath,
  promptRatePath,
  spokenText,
  type PromptLanguage,
} from '../../src/media/prompts/catalog';
import { generatePrompts, missingPromptTools, PromptToolsMissingError } from '../../src/media/prompts/generate';
import { collectPin, type CollectPinOptions, type PinPromptEndpoint } from '../../src/calls/steps/collect-pin';
import { fsmrfEndpoint } from '../../src/media/freeswitch/fsmrf-endpoint';
import { RtpPeer, sdpAudioTarget, type RtpRemote } from '../support/rtp-peer';
import { skipFor } from '../support/skip';
import { parseWav, rms, type Wav } from '../support/wav';
import { requireStack, startMediaStack, waitFor, type MediaStack } from '../support/stack';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds of 20 ms frames louder than -40 dBFS: speech, not padding or dither. */
function voicedSeconds(w: Wav): number {
  const frame = w.sampleRate / 50;
  let voiced = 0;
  for (let i = 0; i + frame <= w.samples.length; i += frame) if (rms(w.samples, i, i + frame) > 328) voiced++;
  return voiced / 50;
}

async function requireTools(ctx: Mocha.Context, what: string): Promise<void> {
  const missing = await missingPromptTools();
  if (missing.length) skipFor(ctx, what, `${missing.join(' and ')} not found (apt-get install espeak-ng sox)`);
}

// ---------------------------------------------------------------------------------------------

describe('voice prompts', function () {
  describe('catalog', function () {
    it('has a text for every prompt in every meeting language', function () {
      for (const name of PROMPT_NAMES) for (const lang of PROMPT_LANGUAGES) assert.ok(PROMPT_TEXTS[name][lang].trim().length > 0);
      assert.equal(PROMPT_TEXTS['enter-pin'].vi, 'Xin mời nhập mã PIN của cuộc họp, kết thúc bằng phím thăng.');
    });

    it('plays a rate-less path; files live in per-rate folders beside it', function () {
      assert.equal(promptPath('/srv/sounds', 'vi', 'enter-pin'), '/srv/sounds/diemcau/vi/enter-pin.wav');
      assert.equal(promptRatePath('/srv/sounds', 'en', 16000, 'goodbye'), '/srv/sounds/diemcau/en/16000/goodbye.wav');
    });

    it('has espeak-ng say "PIN" as a word, not letter by letter', function () {
      assert.equal(spokenText('en', 'wrong-pin'), 'That pin is not correct.');
      assert.match(spokenText('vi', 'enter-pin'), /mã pin của/);
    });
  });

  describe('generation (espeak-ng + sox)', function () {
    this.timeout(60_000);
    let out: string;

    before(async function () {
      await requireTools(this, 'voice prompt generation');
      out = mkdtempSync(join(tmpdir(), 'diemcau-prompts-test-'));
    });
    after(function () {
      if (out) rmSync(out, { recursive: true, force: true });
    });

    it('renders every prompt at 8, 16 and 48 kHz as audible mono 16-bit WAV', async function () {
      const total = PROMPT_LANGUAGES.length * PROMPT_NAMES.length * PROMPT_RATES.length;
      assert.deepEqual(await generatePrompts(out), { written: total, skipped: 0 });
      for (const lang of PROMPT_LANGUAGES) {
        for (const name of PROMPT_NAMES) {
          for (const rate of PROMPT_RATES) {
            const file = promptRatePath(out, lang, rate, name);
            const w = parseWav(readFileSync(file));
            assert.deepEqual([w.channels, w.sampleRate, w.bitsPerSample], [1, rate, 16], file);
            const seconds = w.samples.length / rate;
            assert.ok(seconds > 0.5 && seconds < 10, `${file}: ${seconds} s`);
            assert.ok(voicedSeconds(w) > 0.3, `${file}: ${voicedSeconds(w)} s of speech`);
            const peak = w.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
            // normalised to -3 dBFS (23,197); resampling may overshoot a little
            assert.ok(peak > 16_000 && peak <= 32_767, `${file}: peak ${peak}`);
            assert.ok(rms(w.samples) > 1000, `${file}: RMS ${rms(w.samples)}`);
          }
        }
      }
      // the rate-less path FreeSWITCH is given has no file: mod_sndfile must pick a rate folder
      assert.equal(existsSync(promptPath(out, 'vi', 'enter-pin')), false);
    });

    it('skips files that are up to date and renders missing or changed ones', async function () {
      const total = PROMPT_LANGUAGES.length * PROMPT_NAMES.length * PROMPT_RATES.length;
      assert.deepEqual(await generatePrompts(out), { written: 0, skipped: total });
      unlinkSync(promptRatePath(out, 'en', 8000, 'goodbye'));
      const manifestFile = join(out, 'diemcau', 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { files: Record<string, string> };
      manifest.files['vi/48000/muted.wav'] = 'from an older text';
      writeFileSync(manifestFile, JSON.stringify(manifest));
      assert.deepEqual(await generatePrompts(out), { written: 2, skipped: total - 2 });
      assert.equal(parseWav(readFileSync(promptRatePath(out, 'en', 8000, 'goodbye'))).sampleRate, 8000);
    });

    it('says what to install when a tool is missing', async function () {
      await assert.rejects(
        generatePrompts(out, { espeakNg: '/nonexistent/espeak-ng' }),
        (err: unknown) => err instanceof PromptToolsMissingError && /espeak-ng/.test(err.message) && /apt-get install espeak-ng sox/.test(err.message),
      );
    });
  });

  describe('collectPin (scripted endpoint)', function () {
    /** Answers each playCollect with the next entry and records what was played. */
    function scripted(entries: string[]): PinPromptEndpoint & { played: (string | string[])[]; collects: number } {
      const ep = {
        played: [] as (string | string[])[],
        collects: 0,
        async playCollect(o: { file: string }) {
          ep.played.push(o.file);
          return { digits: entries[ep.collects++] ?? '' };
        },
        async play(file: string | string[]) {
          ep.played.push(file);
        },
        onEnded: () => () => undefined,
      };
      return ep;
    }
    const opts: CollectPinOptions = { soundsRoot: '/s', language: 'en', expected: '4321' };
    const [enter, wrong, bye] = (['enter-pin', 'wrong-pin', 'goodbye'] as const).map((n) => promptPath('/s', 'en', n));

    it('accepts the right PIN on the second try and plays nothing after it', async function () {
      const ep = scripted(['1234', '4321']);
      assert.equal(await collectPin(ep, opts), 'ok');
      assert.deepEqual(ep.played, [enter, wrong, enter]);
    });

    it('gives up after three wrong entries with "wrong PIN, goodbye"', async function () {
      const ep = scripted(['1', '', '43210']);
      assert.equal(await collectPin(ep, opts), 'failed');
      assert.deepEqual(ep.played, [enter, wrong, enter, wrong, enter, [wrong, bye]]);
    });

    it('rejects unusable options', async function () {
      await assert.rejects(collectPin(scripted([]), { ...opts, expected: '12a4' }), /digits/);
      await assert.rejects(collectPin(scripted([]), { ...opts, tries: 0 }), /tries/);
      await assert.rejects(collectPin(scripted([]), { ...opts, soundsRoot: '/my sounds' }), /white space/);
    });
  });

  describe('collectPin on FreeSWITCH (drachtio-fsmrf, RFC 4733 and SIP INFO)', function () {
    this.timeout(120_000);
    let stack: MediaStack | undefined;
    let ms: Mrf.MediaServer | undefined;
    let sounds: string | undefined;
    const peers: RtpPeer[] = [];
    const endpoints: Mrf.Endpoint[] = [];

    before(async function () {
      const bin = requireStack(this, 'PIN prompt on FreeSWITCH');
      await requireTools(this, 'PIN prompt on FreeSWITCH');
      // startFreeswitch has no sounds directory of its own: absolute paths into a temp dir work
      sounds = mkdtempSync(join(tmpdir(), 'diemcau-sounds-'));
      await generatePrompts(sounds);
      // The project's drachtio_mrf profile has liberal-dtmf, without which sofia drops SIP INFO
      // digits on calls whose SDP has telephone-event (sofia.c, INFO handler).
      stack = await startMediaStack(bin);
      ms = await stack.mediaServer();
    });

    after(async function () {
      await Promise.allSettled(endpoints.map((ep) => ep.destroy()));
      for (const p of peers) p.close();
      await stack?.stop();
      if (sounds) rmSync(sounds, { recursive: true, force: true });
    });

    afterEach(async function () {
      if (!stack) return;
      await Promise.allSettled(endpoints.splice(0).map((ep) => ep.destroy()));
      for (const p of peers.splice(0)) p.close();
      await waitFor('no FreeSWITCH channel left', async () => (/^0 total\./m.test(await stack!.fs.fsCli('show channels count')) ? true : undefined));
    });

    /** RMS of what the peer received in the last windowMs: the prompt is speech, idle is silence. */
    const loudness = (peer: RtpPeer, windowMs: number) => rms(peer.receivedPcm(windowMs));
    const AUDIBLE = 500;

    async function call(): Promise<{ ep: Mrf.Endpoint; peer: RtpPeer; toFs: RtpRemote }> {
      const peer = await RtpPeer.open();
      peers.push(peer);
      const ep = await ms!.createEndpoint({ remoteSdp: peer.sdp() });
      endpoints.push(ep);
      const toFs = sdpAudioTarget(ep.local.sdp);
      peer.startSilence(toFs); // a phone sends all along; digits replace some of these packets
      return { ep, peer, toFs };
    }

    /**
     * The endpoint as collectPin sees it, typing entries[n] at the n-th prompt once the peer hears
     * it (so each entry also proves the prompt was audible). Records the loudness heard.
     */
    function typist(ep: Mrf.Endpoint, peer: RtpPeer, entries: string[], type: (digits: string) => Promise<void>) {
      const media = fsmrfEndpoint(ep, ms!);
      const heard: number[] = [];
      const typing: Promise<void>[] = [];
      const wrapped: PinPromptEndpoint = {
        playCollect(o) {
          const entry = entries[heard.length] ?? '';
          const slot = heard.push(0) - 1;
          const collected = ep.playCollect(o);
          typing.push(
            (async () => {
              heard[slot] = await waitFor(
                'the enter-pin prompt to be heard',
                async () => {
                  const l = loudness(peer, 200);
                  return l > AUDIBLE ? l : undefined;
                },
                5000,
                20,
              );
              await type(entry);
            })(),
          );
          return collected;
        },
        play: (file) => media.play(file),
        onEnded: (listener) => media.onEnded(listener),
      };
      return { wrapped, heard, typed: () => Promise.all(typing) };
    }

    const base = (language: PromptLanguage): CollectPinOptions => ({ soundsRoot: sounds!, language, expected: '2468', timeoutMs: 5000, digitTimeoutMs: 3000 });

    it('plays the rate-less path from the folder of the channel rate, else the highest rate there is', async function () {
      // a tone per rate folder tells which file FreeSWITCH opened for this 8 kHz (PCMU) channel
      const root = join(sounds!, 'rate-probe');
      const tones = { 8000: 1000, 16000: 600, 48000: 400 } as const;
      for (const [rate, hz] of Object.entries(tones)) {
        const file = join(root, 'diemcau', 'en', rate, 'probe.wav');
        mkdirSync(dirname(file), { recursive: true });
        execFileSync('sox', ['-n', '-r', rate, '-b', '16', '-c', '1', file, 'synth', '2', 'sine', String(hz), 'gain', '-6']);
      }
      const { ep, peer } = await call();
      const heardTone = async () => {
        const playing = ep.play(join(root, 'diemcau', 'en', 'probe.wav'));
        await sleep(1200);
        const ratios = Object.values(tones).map((hz) => [hz, peer.toneEnergy(hz, 800)] as const);
        await playing;
        return ratios.filter(([, r]) => r > 0.5).map(([hz]) => hz);
      };
      assert.deepEqual(await heardTone(), [1000]);
      unlinkSync(join(root, 'diemcau', 'en', '8000', 'probe.wav'));
      assert.deepEqual(await heardTone(), [400]);
    });

    it('accepts the right PIN typed as RFC 4733 events, after the prompt was heard, and then stays quiet', async function () {
      const { ep, peer, toFs } = await call();
      const t = typist(ep, peer, ['2468#'], (digits) => peer.sendDtmf(toFs, digits));
      assert.equal(await collectPin(t.wrapped, base('vi')), 'ok');
      await t.typed();
      assert.equal(t.heard.length, 1);
      // success plays nothing: the caller is joined right after
      await sleep(700);
      assert.ok(loudness(peer, 500) < AUDIBLE / 5, `after 'ok' the peer still hears ${loudness(peer, 500)}`);
    });

    it('fails after three wrong PINs, saying "wrong PIN" and "goodbye"', async function () {
      const { ep, peer, toFs } = await call();
      const t = typist(ep, peer, ['1111#', '2469#', '24680#'], (digits) => peer.sendDtmf(toFs, digits));
      assert.equal(await collectPin(t.wrapped, base('en')), 'failed');
      await t.typed();
      assert.equal(t.heard.length, 3, 'three attempts');
      // the last playback (wrong-pin + goodbye, ~2.5 s) has just ended
      assert.ok(loudness(peer, 2000) > AUDIBLE, `wrong-pin/goodbye heard at ${loudness(peer, 2000)}`);
      assert.equal((await stack!.fs.fsCli(`uuid_exists ${ep.uuid}`)).trim(), 'true', 'the step does not hang up itself');
    });

    it('accepts the right PIN typed as SIP INFO (application/dtmf-relay) on a call that also offers telephone-event', async function () {
      const { ep, peer } = await call();
      const dialog = ep.dialog as InfoDialog;
      const t = typist(ep, peer, ['13', '2468#'], async (digits) => {
        for (const d of digits) {
          const res = await dialog.request({
            method: 'INFO',
            headers: { 'Content-Type': 'application/dtmf-relay' },
            body: `Signal=${d}\r\nDuration=160\r\n`,
          });
          assert.equal(res.status, 200);
        }
      });
      // a too-short entry ends by the digit timeout, without '#'
      assert.equal(await collectPin(t.wrapped, { ...base('vi'), digitTimeoutMs: 1500 }), 'ok');
      await t.typed();
      assert.equal(t.heard.length, 2);
    });

    it('returns "failed" at once when the caller hangs up during the prompt', async function () {
      const { ep, peer } = await call();
      const ac = new AbortController();
      const started = Date.now();
      const t = typist(ep, peer, [''], async () => ac.abort());
      assert.equal(await collectPin(t.wrapped, { ...base('en'), signal: ac.signal }), 'failed');
      await t.typed();
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });
  });
});

/** drachtio-srf's Dialog.request resolves with the response (its typings say otherwise). */
interface InfoDialog {
  request(opts: { method: 'INFO'; headers: Record<string, string>; body: string }): Promise<{ status: number }>;
}
