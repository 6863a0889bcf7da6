import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { skipFor } from '../support/skip';

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Fake camera and microphone, loopback WebRTC, no calls home (the machine has no internet). */
export const MEDIA_FLAGS = [
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--no-sandbox',
  '--disable-background-networking',
];

/** Screenshots land here (git-ignored) for a person to look at. */
export const OUT = join(process.cwd(), 'test-output', 'web');

/** In a before() hook: skips the suite with one line when Chromium is missing. */
export function requireChromium(ctx: Mocha.Context, what: string): void {
  if (!existsSync(CHROMIUM)) skipFor(ctx, what, `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`);
}
