import { join } from 'node:path';
import type { MeetingLanguage } from '../../meetings/meeting.entity';

/**
 * The voice prompts callers hear, in every meeting language. The audio is generated from these
 * texts (generate.ts), so the texts are the source of truth: change one here and regenerate.
 */

/** Tied to the meeting's language: a new meeting language fails to compile until it has texts. */
export type PromptLanguage = MeetingLanguage;
export const PROMPT_LANGUAGES: readonly PromptLanguage[] = ['vi', 'en'];

export const PROMPT_NAMES = ['enter-pin', 'wrong-pin', 'goodbye', 'joining', 'meeting-ending', 'muted', 'unmuted', 'recording-started'] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

export const PROMPT_TEXTS: Readonly<Record<PromptName, Readonly<Record<PromptLanguage, string>>>> = {
  'enter-pin': {
    vi: 'Xin mời nhập mã PIN của cuộc họp, kết thúc bằng phím thăng.',
    en: 'Please enter the meeting PIN, followed by the hash key.',
  },
  'wrong-pin': { vi: 'Mã PIN không đúng.', en: 'That PIN is not correct.' },
  goodbye: { vi: 'Xin chào và hẹn gặp lại.', en: 'Goodbye.' },
  joining: { vi: 'Đang vào phòng họp.', en: 'Joining the meeting.' },
  'meeting-ending': { vi: 'Cuộc họp sẽ kết thúc sau năm phút.', en: 'The meeting will end in five minutes.' },
  muted: { vi: 'Bạn đã bị tắt tiếng.', en: 'You are muted.' },
  unmuted: { vi: 'Bạn đã được bật tiếng.', en: 'You are no longer muted.' },
  'recording-started': { vi: 'Cuộc họp đang được ghi lại.', en: 'This meeting is now being recorded.' },
};

/**
 * The text handed to the speech synthesiser. Written texts say "PIN" (what callers read on their
 * invitations), but espeak-ng spells capitals out letter by letter ("P I N") in both languages;
 * lower case makes it say the word.
 */
export function spokenText(lang: PromptLanguage, name: PromptName): string {
  return PROMPT_TEXTS[name][lang].replace(/\bPIN\b/g, 'pin');
}

/**
 * The rates FreeSWITCH plays without resampling: 8 kHz (G.711), 16 kHz (G.722), 48 kHz (Opus).
 * mod_sndfile also probes 32 kHz; nothing we offer runs at that rate.
 */
export const PROMPT_RATES = [8000, 16000, 48000] as const;
export type PromptRate = (typeof PROMPT_RATES)[number];

/** Our own folder under the sounds root, so our files never mix with FreeSWITCH's sound packs. */
export const PROMPT_NAMESPACE = 'diemcau';

/**
 * What to hand FreeSWITCH to play: `<root>/diemcau/<lang>/<name>.wav`. No file exists at that path.
 * mod_sndfile (mod_sndfile.c, sndfile_file_open) first tries `<dir>/<channel rate>/<file>`, then
 * `<dir>/48000|32000|16000|8000/<file>`, and only then the path itself, so the channel's own rate
 * is played without resampling.
 */
export function promptPath(soundsRoot: string, lang: PromptLanguage, name: PromptName): string {
  return join(soundsRoot, PROMPT_NAMESPACE, lang, `${name}.wav`);
}

/** Where the generator writes one rate of a prompt: `<root>/diemcau/<lang>/<rate>/<name>.wav`. */
export function promptRatePath(soundsRoot: string, lang: PromptLanguage, rate: PromptRate, name: PromptName): string {
  return join(soundsRoot, PROMPT_NAMESPACE, lang, String(rate), `${name}.wav`);
}
