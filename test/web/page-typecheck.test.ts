import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The page is bundled by esbuild, which strips types without checking them, and the main tsconfig
 * excludes src/web (no DOM types there): this runs its own `tsc -p src/web`, so `npm test` catches
 * a type error in the page, or drift from the API's contract types it shares.
 */
describe('join page sources', () => {
  it('type-check with their own tsconfig (DOM lib)', function () {
    this.timeout(60_000);
    const root = join(__dirname, '..', '..', '..');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'src', 'web')], { encoding: 'utf8', cwd: root });
    assert.equal(run.status, 0, `tsc -p src/web:\n${run.stdout}${run.stderr}`);
  });
});
