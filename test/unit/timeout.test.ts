import assert from 'node:assert/strict';
import { withTimeout } from '../../src/timeout';

describe('withTimeout', () => {
  it('passes on the value or the rejection of a promise that settles in time', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 1000, 'late'), 7);
    await assert.rejects(withTimeout(Promise.reject(new Error('refused')), 1000, 'late'), /refused/);
  });

  it('rejects with the message once the time is up, and leaves no timer behind', async () => {
    const pending = new Promise<never>(() => undefined);
    await assert.rejects(withTimeout(pending, 20, 'no answer within 20 ms'), /no answer within 20 ms/);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await withTimeout(Promise.resolve(1), 60_000, 'late');
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
  });
});
