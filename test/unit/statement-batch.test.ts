import assert from 'node:assert/strict';
import { StatementBatch } from '../../src/db/statement-batch';

/** A statement that answers when told to, recording what each run carried. */
function gatedRunner() {
  const runs: string[][] = [];
  const gates: (() => void)[] = [];
  let failNext = false;
  const run = async (items: readonly string[]) => {
    runs.push([...items]);
    await new Promise<void>((open) => gates.push(open));
    if (failNext && items.length > 1) {
      failNext = false;
      throw new Error('deadlock detected');
    }
    if (items.includes('bad')) throw new Error('bad request');
    return items.map((i) => i.toUpperCase());
  };
  const turn = () => new Promise((r) => setImmediate(r));
  return {
    runs,
    run,
    failNextBatch: () => (failNext = true),
    /** Lets the statement in flight answer, then lets the batch send the next. */
    async release() {
      gates.shift()?.();
      await turn();
      await turn();
    },
    turn,
  };
}

describe('StatementBatch', () => {
  it('sends one request alone, and those that arrive while it runs together as the next statement', async () => {
    const db = gatedRunner();
    const batch = new StatementBatch(db.run, (s: string) => s.split(':')[0]!);
    const first = batch.submit('a:1');
    await db.turn();
    assert.deepEqual(db.runs, [['a:1']]);
    const later = ['b:1', 'c:1', 'd:1'].map((s) => batch.submit(s));
    await db.turn();
    assert.equal(db.runs.length, 1, 'nothing else goes while a statement is in flight');
    await db.release();
    assert.equal(await first, 'A:1');
    assert.deepEqual(db.runs[1], ['b:1', 'c:1', 'd:1']);
    await db.release();
    assert.deepEqual(await Promise.all(later), ['B:1', 'C:1', 'D:1']);
  });

  it('never puts two requests with one key into a statement', async () => {
    const db = gatedRunner();
    const batch = new StatementBatch(db.run, (s: string) => s.split(':')[0]!);
    const all = ['a:1', 'a:2', 'b:1', 'a:3'].map((s) => batch.submit(s));
    await db.turn();
    assert.deepEqual(db.runs, [['a:1', 'b:1']]);
    await db.release();
    assert.deepEqual(db.runs[1], ['a:2']);
    await db.release();
    assert.deepEqual(db.runs[2], ['a:3']);
    await db.release();
    assert.deepEqual(await Promise.all(all), ['A:1', 'A:2', 'B:1', 'A:3']);
  });

  it('tries a failed statement again one request at a time, so only the bad request fails', async () => {
    const db = gatedRunner();
    const batch = new StatementBatch(db.run, (s: string) => s);
    const settled = ['x', 'bad', 'y'].map((s) =>
      batch.submit(s).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await db.turn();
    for (let i = 0; i < 4; i++) await db.release();
    assert.deepEqual(db.runs, [['x', 'bad', 'y'], ['x'], ['bad'], ['y']]);
    assert.deepEqual(await Promise.all(settled), ['X', 'bad request', 'Y']);

    // A batch that fails as a whole (a deadlock between two processes' batches) loses nothing.
    db.failNextBatch();
    const again = ['p', 'q'].map((s) => batch.submit(s));
    await db.turn();
    for (let i = 0; i < 3; i++) await db.release();
    assert.deepEqual(await Promise.all(again), ['P', 'Q']);
  });

  it('caps a statement at `max` requests', async () => {
    const db = gatedRunner();
    const batch = new StatementBatch(db.run, (s: string) => s, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((s) => batch.submit(s));
    await db.turn();
    for (let i = 0; i < 3; i++) await db.release();
    assert.deepEqual(db.runs, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.equal((await Promise.all(all)).length, 5);
  });
});
