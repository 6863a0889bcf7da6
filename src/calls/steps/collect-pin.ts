import { createHash, timingSafeEqual } from 'node:crypto';
import type { MediaEndpoint } from '../../media/freeswitch/media-endpoint';
import { promptPath, type PromptLanguage } from '../../media/prompts/catalog';

/**
 * The PIN prompt for callers that dialled a meeting with a PIN but without the PIN in the URI:
 * FreeSWITCH asks for it (digits by RFC 4733 telephone-events or SIP INFO, both arrive as channel
 * DTMF), `tries` times, saying "wrong PIN" between attempts and "goodbye" after the last one.
 */

/** What the step needs of a media endpoint (narrow, so tests can wrap one). */
export type PinPromptEndpoint = Pick<MediaEndpoint, 'playCollect' | 'play' | 'onEnded'>;

export interface CollectPinOptions {
  /** absolute sounds root on the FreeSWITCH host, holding `diemcau/<lang>/<rate>/*.wav` */
  soundsRoot: string;
  language: PromptLanguage;
  /** the meeting PIN: digits only */
  expected: string;
  /** attempts before giving up (default 3) */
  tries?: number;
  /** how long to wait for the first digit once the prompt has finished (default 10 s) */
  timeoutMs?: number;
  /** a pause this long after a digit ends the entry, for callers who forget '#' (default 5 s) */
  digitTimeoutMs?: number;
  /** abort when the caller hangs up: the step then returns 'failed' at once */
  signal?: AbortSignal;
}

export type CollectPinResult = 'ok' | 'failed';

/** The longest PIN accepted here; meetings issue 4 to 10 digits (meeting.schema.ts). */
const MAX_PIN = 20;
/**
 * FreeSWITCH ends an entry at this many digits. Longer than any PIN, so an entry ends with '#' or
 * the digit timeout, never early with the caller's '#' left over for the next try.
 */
const MAX_DIGITS = MAX_PIN + 4;

/** Compares fixed-length digests: the time taken does not tell how many leading digits were right. */
function samePin(entered: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(entered), digest(expected));
}

/** Resolves 'gone' when the endpoint is destroyed (BYE from FreeSWITCH, event socket lost) or on abort. */
function whenGone(ep: PinPromptEndpoint, signal: AbortSignal | undefined): { gone: Promise<'gone'>; dispose: () => void } {
  let onGone: () => void = () => undefined;
  const gone = new Promise<'gone'>((resolve) => {
    onGone = () => resolve('gone');
  });
  const stopListening = ep.onEnded(onGone);
  signal?.addEventListener('abort', onGone, { once: true });
  if (signal?.aborted) onGone();
  const dispose = () => {
    stopListening();
    signal?.removeEventListener('abort', onGone);
  };
  return { gone, dispose };
}

/**
 * Asks for the PIN until it is right ('ok', nothing more is played: the caller joins next) or the
 * tries are used up ('failed', after "wrong PIN… goodbye": the call's owner hangs up).
 * A hang-up in the middle also gives 'failed'.
 */
export async function collectPin(ep: PinPromptEndpoint, opts: CollectPinOptions): Promise<CollectPinResult> {
  const tries = opts.tries ?? 3;
  if (!/^\d+$/.test(opts.expected) || opts.expected.length > MAX_PIN) {
    throw new Error(`collectPin: the expected PIN must be 1 to ${MAX_PIN} digits`);
  }
  if (!Number.isInteger(tries) || tries < 1) throw new Error(`collectPin: tries must be a positive integer, not ${tries}`);
  // drachtio-fsmrf joins play_and_get_digits' arguments with spaces: a path with one would shift them all
  if (/\s/.test(opts.soundsRoot)) throw new Error(`collectPin: the sounds root must not contain white space: ${opts.soundsRoot}`);

  const file = (name: 'enter-pin' | 'wrong-pin' | 'goodbye') => promptPath(opts.soundsRoot, opts.language, name);
  const { gone, dispose } = whenGone(ep, opts.signal);
  // once the caller is gone the pending FreeSWITCH command may still fail: that is no news
  const unlessGone = <T>(p: Promise<T>): Promise<T | 'gone'> => {
    p.catch(() => undefined);
    return Promise.race([gone, p]);
  };
  try {
    for (let attempt = 1; attempt <= tries; attempt++) {
      // one FreeSWITCH try per call: its own retry would replay enter-pin without saying why
      const result = await unlessGone(
        ep.playCollect({
          file: file('enter-pin'),
          min: 1,
          max: MAX_DIGITS,
          tries: 1,
          timeout: opts.timeoutMs ?? 10_000,
          terminators: '#',
          digitTimeout: opts.digitTimeoutMs ?? 5_000,
          // an entry with '*' or letters is collected too (then rejected below) instead of
          // FreeSWITCH playing its own "invalid" file
          regexp: '.+',
        }),
      );
      if (result === 'gone') return 'failed';
      if (samePin(result.digits ?? '', opts.expected)) return 'ok';
      // the last failure also says goodbye, in the same playback (no gap between the two)
      const feedback = attempt < tries ? file('wrong-pin') : [file('wrong-pin'), file('goodbye')];
      if ((await unlessGone(ep.play(feedback))) === 'gone') return 'failed';
    }
    return 'failed';
  } finally {
    dispose();
  }
}
