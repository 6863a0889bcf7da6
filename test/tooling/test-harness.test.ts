import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The harness itself, run as a child mocha: the suites that need no database run where PostgreSQL's
 * server binaries are missing, and DIEMCAU_NO_SKIP turns a skip for a missing program into a failure.
 */

const DIST_TEST = join(__dirname, '..');
const NO_DATABASE_SUITES = ['unit/*.test.js', 'h323/per-primitives.test.js', 'h323/q931.test.js', 'h323/robustness.test.js', 'h323/call-units.test.js'];

function mocha(specs: readonly string[], env: Record<string, string | undefined>): { status: number | null; out: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(
    process.execPath,
    [
      require.resolve('mocha/bin/mocha.js'),
      '--no-package',
      '--no-config',
      '--require',
      join(DIST_TEST, 'support', 'hooks.js'),
      '--timeout',
      '20000',
      '--exit',
      '--reporter',
      'dot',
      ...specs.map((s) => join(DIST_TEST, s)),
    ],
    { env: childEnv, encoding: 'utf8', timeout: 120_000 },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tooling: the test harness', function () {
  this.timeout(150_000);
  let noBinaries: string;
  before(() => (noBinaries = mkdtempSync(join(tmpdir(), 'diemcau-no-pg-'))));
  after(() => rmSync(noBinaries, { recursive: true, force: true }));

  it('runs the unit and codec suites on a machine without PostgreSQL server binaries', () => {
    const r = mocha(NO_DATABASE_SUITES, { PG_BIN_DIR: noBinaries, TEST_DATABASE_URL: undefined });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\b[1-9]\d* passing\b/);
    assert.doesNotMatch(r.out, /PostgreSQL|initdb/);
  });

  it('skips a suite with one line for a missing program, and fails it under DIEMCAU_NO_SKIP=1', () => {
    const suite = ['tooling/sipp.test.js'];
    const skipped = mocha(suite, { SIPP_BIN: '/nonexistent/sipp', DIEMCAU_NO_SKIP: undefined });
    assert.equal(skipped.status, 0, skipped.out);
    assert.equal(skipped.out.match(/^skip: /gm)?.length, 1, skipped.out);
    assert.match(skipped.out, /^skip: sipp scenarios: sipp not found/m);

    const strict = mocha(suite, { SIPP_BIN: '/nonexistent/sipp', DIEMCAU_NO_SKIP: '1' });
    assert.notEqual(strict.status, 0, strict.out);
    assert.match(strict.out, /sipp not found .*DIEMCAU_NO_SKIP=1 makes this a failure/);
    assert.doesNotMatch(strict.out, /^skip: /m);
  });
});
