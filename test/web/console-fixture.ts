import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { ApiDeps } from '../../src/api/deps';
import { buildConsole, type WebBuildResult } from '../../src/web-build/build';
import { TestApi } from '../support/api';
import { CHROMIUM, OUT, requireChromium } from './chromium';

/** What axe-core's run() resolves with, as far as these tests read it. */
interface AxeResults {
  violations: { id: string; impact: 'minor' | 'moderate' | 'serious' | 'critical' | null; nodes: { target: string[] }[] }[];
}

export type Role = 'admin' | 'operator' | 'viewer';

/** The two screens the console must fit: a district office laptop and a phone. */
export const LAPTOP = { width: 1366, height: 768 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/**
 * The console built and served by the real API on a real database, and Chromium to look at it.
 * Call `setup()` in a before() hook of a suite (it skips the suite with one line without Chromium).
 */
export class ConsoleFixture {
  built!: WebBuildResult;
  api!: TestApi;
  browser!: Browser;
  private accounts = 0;

  /** `deps`: settings of the API to add, such as PUBLIC_URL (`publicUrl`). */
  async setup(ctx: Mocha.Context, what: string, deps: Partial<ApiDeps> = {}): Promise<void> {
    await this.serve(deps);
    await this.launch(ctx, what);
  }

  /** The console built and served, without a browser (for what the server says about it). */
  async serve(deps: Partial<ApiDeps> = {}): Promise<void> {
    this.built = await buildConsole({ outDir: await mkdtemp(join(tmpdir(), 'diemcau-console-')) });
    this.api = await TestApi.start({ deps: () => ({ ...deps, consolePageDir: this.built.outDir }) });
  }

  /** Chromium, or the suite skipped with one line. */
  async launch(ctx: Mocha.Context, what: string): Promise<void> {
    requireChromium(ctx, what);
    await mkdir(OUT, { recursive: true });
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  }

  async teardown(): Promise<void> {
    await this.browser?.close();
    await this.api?.close();
    if (this.built) await rm(this.built.outDir, { recursive: true, force: true });
  }

  /** A new operator account of `role`, signed in in a fresh browser context; its page opened at `hash`. */
  async signedIn(
    role: Role,
    hash = '',
    options: { viewport?: { width: number; height: number }; bypassCSP?: boolean; locale?: string } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const n = ++this.accounts;
    const username = `${role}-${n}`;
    const password = `mat-khau-${role}-${n}-2026`;
    const created = await this.api.request('POST', '/api/v1/operators', { json: { username, name: `Cán bộ ${role} ${n}`, role, password } });
    assert.equal(created.status, 201, created.text);
    const context = await this.browser.newContext({
      viewport: options.viewport ?? LAPTOP,
      bypassCSP: options.bypassCSP ?? false,
      ...(options.locale && { locale: options.locale }),
    });
    const signIn = await context.request.post(`${this.api.base}/api/v1/session`, { data: { username, password } });
    assert.equal(signIn.status(), 201, await signIn.text());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${this.api.base}/console${hash ? `#${hash}` : ''}`);
    return { context, page, errors };
  }
}

/** Serious or critical axe-core violations on the page as it is now (the context must bypass CSP). */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate<boolean>("typeof axe !== 'undefined'"))) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** How far the page is wider than its viewport (0 when it fits). */
export async function overflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

/** Saves a screenshot under test-output/web for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}
