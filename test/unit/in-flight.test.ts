import assert from 'node:assert/strict';
import { InFlight } from '../../src/calls/in-flight';

describe('call set-ups in flight across the bridge', () => {
  it('runs at most `limit` at once, the rest in the order they came, and frees a turn when one fails', async () => {
    const limit = new InFlight(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const job = (i: number) => async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 1) throw new Error('refused');
      return i;
    };
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => limit.run(job(i))));
    assert.equal(most, 2);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed')),
      ['failed', 2, 3, 4, 5],
    );
  });
});
