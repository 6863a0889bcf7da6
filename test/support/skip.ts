/**
 * The one way a test gives up because this machine lacks a program or a reference file: one
 * `skip:` line, then mocha's skip. With DIEMCAU_NO_SKIP=1 (CI sets it once the stack installer has
 * run) the same call fails the test instead, so a broken install path can never look green.
 */
export const NO_SKIP = process.env['DIEMCAU_NO_SKIP'] === '1';

export function skipFor(ctx: Mocha.Context, what: string, why: string): never {
  if (NO_SKIP) throw new Error(`${what}: ${why} — DIEMCAU_NO_SKIP=1 makes this a failure, not a skip`);
  console.log(`skip: ${what}: ${why}`);
  return ctx.skip();
}

/** Declares one test standing for a whole suite that cannot run here (decided at load time). */
export function skipSuite(title: string, why: string): void {
  describe(title, () => {
    it(`needs what this machine lacks: ${why}`, function () {
      skipFor(this, title, why);
    });
  });
}
