import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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

/**
 * Polls a JavaScript expression from Node until it is truthy. Not `page.waitForFunction`: with a
 * string it evaluates through eval() in the page, which the pages' Content-Security-Policy rightly
 * forbids (and only when the first check is false, so such a test fails by timing).
 */
export async function until(page: Page, expression: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
