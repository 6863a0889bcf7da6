import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  PROMPT_LANGUAGES,
  PROMPT_NAMES,
  PROMPT_NAMESPACE,
  PROMPT_RATES,
  promptRatePath,
  spokenText,
  type PromptLanguage,
  type PromptName,
  type PromptRate,
} from './catalog';

/**
 * Renders the prompt catalog to WAV files FreeSWITCH plays: espeak-ng speaks each text (22,050 Hz),
 * sox normalises, pads and resamples it to every rate in `<out>/diemcau/<lang>/<rate>/<name>.wav`.
 * We make our own audio because nothing may be downloaded at build or run time.
 *
 *   node dist/src/media/prompts/generate.js [outDir]   (default: dialplans/freeswitch/sounds)
 */

/** Bump when the processing below changes, so every file is rendered again. */
const GENERATOR_VERSION = 1;

interface VoiceSettings {
  /** espeak-ng voice */
  voice: string;
  /** words per minute: a little slower than espeak's 175, for 8 kHz phone lines and room speakers */
  speed: number;
  /** 0–99, espeak's default 50 */
  pitch: number;
}

const VOICES: Readonly<Record<PromptLanguage, VoiceSettings>> = {
  // `vi` is the Northern (Hà Nội) voice, the standard one; `vi-vn-x-central` also exists.
  vi: { voice: 'vi', speed: 135, pitch: 50 },
  en: { voice: 'en', speed: 150, pitch: 50 },
};

/**
 * sox effects: normalise every prompt to the same loudness (-3 dBFS peak), add 150 ms of silence
 * before (the first RTP packets of a playback are often lost while the far end's jitter buffer
 * settles) and 300 ms after, then resample with sox's best filter.
 */
const SOX_EFFECTS = ['norm', '-3', 'pad', '0.15', '0.3'];

export interface GenerateOptions {
  /** espeak-ng executable (default: `espeak-ng` on PATH) */
  espeakNg?: string;
  /** sox executable (default: `sox` on PATH) */
  sox?: string;
}

/** espeak-ng or sox is not installed: the message says what to install. */
export class PromptToolsMissingError extends Error {
  constructor(readonly missing: string[]) {
    super(`cannot generate the voice prompts: ${missing.join(' and ')} not found (Debian: apt-get install espeak-ng sox)`);
    this.name = 'PromptToolsMissingError';
  }
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim() || err.message;
        reject(Object.assign(new Error(`${file} ${args.slice(0, 6).join(' ')}…: ${detail}`), { code: (err as NodeJS.ErrnoException).code }));
      } else resolvePromise(String(stdout));
    });
  });
}

/** The tools that cannot be run (not installed, or not executable). */
export async function missingPromptTools(opts: GenerateOptions = {}): Promise<string[]> {
  const tools = [opts.espeakNg ?? 'espeak-ng', opts.sox ?? 'sox'];
  const ok = await Promise.all(
    tools.map((t) =>
      run(t, ['--version']).then(
        () => true,
        () => false,
      ),
    ),
  );
  return tools.filter((_, i) => !ok[i]);
}

interface Manifest {
  version: 1;
  /** path relative to `<out>/diemcau` → hash of everything that shaped the file */
  files: Record<string, string>;
}

function manifestPath(outDir: string): string {
  return join(outDir, PROMPT_NAMESPACE, 'manifest.json');
}

async function readManifest(outDir: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await readFile(manifestPath(outDir), 'utf8')) as Partial<Manifest>;
    if (m.version === 1 && m.files && typeof m.files === 'object') return { version: 1, files: { ...m.files } };
  } catch {
    // missing or unreadable: everything is rendered again
  }
  return { version: 1, files: {} };
}

function renderHash(lang: PromptLanguage, name: PromptName, rate: PromptRate): string {
  const input = { v: GENERATOR_VERSION, text: spokenText(lang, name), voice: VOICES[lang], rate, effects: SOX_EFFECTS };
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

async function isNonEmptyFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 44; // more than a bare WAV header
  } catch {
    return false;
  }
}

/**
 * Renders every prompt whose file is missing or out of date (text, voice or processing changed,
 * per the manifest). Files are written under a temporary name and renamed, so an interrupted run
 * never leaves a truncated file that a later run would take for current.
 */
export async function generatePrompts(outDir: string, opts: GenerateOptions = {}): Promise<{ written: number; skipped: number }> {
  const espeak = opts.espeakNg ?? 'espeak-ng';
  const sox = opts.sox ?? 'sox';
  const missing = await missingPromptTools({ espeakNg: espeak, sox });
  if (missing.length) throw new PromptToolsMissingError(missing);

  const root = resolve(outDir);
  const nsDir = join(root, PROMPT_NAMESPACE);
  const manifest = await readManifest(root);
  const files: Record<string, string> = {};
  const work = await mkdtemp(join(tmpdir(), 'diemcau-prompts-'));
  let written = 0;
  let skipped = 0;
  try {
    for (const lang of PROMPT_LANGUAGES) {
      for (const name of PROMPT_NAMES) {
        const targets = PROMPT_RATES.map((rate) => {
          const path = promptRatePath(root, lang, rate, name);
          return { rate, path, key: relative(nsDir, path), hash: renderHash(lang, name, rate) };
        });
        const stale: typeof targets = [];
        for (const t of targets) {
          if (manifest.files[t.key] === t.hash && (await isNonEmptyFile(t.path))) {
            files[t.key] = t.hash;
            skipped++;
          } else stale.push(t);
        }
        if (!stale.length) continue;

        const v = VOICES[lang];
        const spoken = join(work, `${lang}-${name}.wav`);
        await run(espeak, ['-v', v.voice, '-s', String(v.speed), '-p', String(v.pitch), '-w', spoken, '--', spokenText(lang, name)]);
        // the rates are independent: render them side by side
        await Promise.all(
          stale.map(async (t) => {
            await mkdir(dirname(t.path), { recursive: true });
            const partial = `${t.path}.partial-${process.pid}.wav`;
            await run(sox, [spoken, '-b', '16', '-e', 'signed-integer', '-c', '1', partial, ...SOX_EFFECTS, 'rate', '-v', String(t.rate)]);
            await rename(partial, t.path);
            files[t.key] = t.hash;
            written++;
          }),
        );
      }
    }
  } finally {
    // what was finished is recorded even when a later prompt failed
    await mkdir(nsDir, { recursive: true });
    await writeFile(manifestPath(root), `${JSON.stringify({ version: 1, files } satisfies Manifest, null, 2)}\n`);
    await rm(work, { recursive: true, force: true });
  }
  return { written, skipped };
}

/** `dialplans/freeswitch/sounds` of the checkout this module lives in (from dist/ or from src/). */
function defaultOutDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'dialplans', 'freeswitch'))) return join(dir, 'dialplans', 'freeswitch', 'sounds');
  }
  return resolve('dialplans', 'freeswitch', 'sounds');
}

async function main(argv: string[]): Promise<number> {
  if (argv.some((a) => a === '-h' || a === '--help')) {
    console.log('usage: node dist/src/media/prompts/generate.js [outDir]   (default: dialplans/freeswitch/sounds)');
    return 0;
  }
  const outDir = argv[0] ?? defaultOutDir();
  try {
    const { written, skipped } = await generatePrompts(outDir);
    console.log(`voice prompts in ${join(resolve(outDir), PROMPT_NAMESPACE)}: ${written} written, ${skipped} up to date`);
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
