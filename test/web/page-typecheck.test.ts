import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The pages are bundled by esbuild, which strips types without checking them, and the main
 * tsconfig excludes src/web and src/console (no DOM types there): this runs their own `tsc -p`, so
 * `npm test` catches a type error in a page, or drift from the API's contract types it shares.
 */
for (const [what, dir] of [
  ['join page', 'web'],
  ['operator console', 'console'],
] as const) {
  describe(`${what} sources`, () => {
    it('type-check with their own tsconfig (DOM lib)', function () {
      this.timeout(60_000);
      const root = join(__dirname, '..', '..', '..');
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'src', dir)], { encoding: 'utf8', cwd: root });
      assert.equal(run.status, 0, `tsc -p src/${dir}:\n${run.stdout}${run.stderr}`);
    });
  });
}
