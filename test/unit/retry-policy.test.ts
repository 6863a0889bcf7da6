import assert from 'node:assert/strict';
import { classify, defaultRetryPolicy, nextDelay, scalePolicy } from '../../src/calls/dial-out/retry-policy';

describe('dial-out retry policy', () => {
  it('classifies final responses, timeouts and transport errors', () => {
    assert.equal(classify({ status: 200 }), 'answered');
    assert.equal(classify({ status: 486 }), 'busy');
    assert.equal(classify({ status: 600 }), 'busy');
    assert.equal(classify({ status: 480 }), 'no-answer');
    assert.equal(classify({ status: 408 }), 'no-answer');
    assert.equal(classify({ timedOut: true }), 'no-answer');
    assert.equal(classify({ status: 503 }), 'unreachable');
    assert.equal(classify({ transportError: true }), 'unreachable');
    assert.equal(classify({ status: 603 }), 'rejected');
    assert.equal(classify({ status: 403 }), 'rejected');
    assert.equal(classify({ status: 488 }), 'media-mismatch');
    assert.equal(classify({ status: 499 }), 'failed');
  });

  it('tells our own cancel from the site not answering, and never retries it', () => {
    // The 487 a site sends back to our CANCEL is no-answer when the ring timeout sent it...
    assert.equal(classify({ status: 487 }), 'no-answer');
    assert.equal(classify({ timedOut: true }), 'no-answer');
    // ...and cancelled when the meeting's end did, as is nothing at all coming back.
    assert.equal(classify({ status: 487, cancelled: true }), 'cancelled');
    assert.equal(classify({ cancelled: true }), 'cancelled');
    assert.equal(classify({ timedOut: true, cancelled: true }), 'cancelled');
    assert.equal(classify({ transportError: true, cancelled: true }), 'cancelled');
    // A final answer that crossed our CANCEL still says what the site did.
    assert.equal(classify({ status: 486, cancelled: true }), 'busy');
    assert.equal(classify({ status: 200, cancelled: true }), 'answered');
    assert.equal(classify({ status: 487, cancelled: false }), 'no-answer');
    for (let attempt = 1; attempt <= 10; attempt++) assert.equal(nextDelay(defaultRetryPolicy, 'cancelled', attempt), null);
  });

  it('backs off per outcome and gives up at the cap', () => {
    const busy = [1, 2, 3, 4, 5, 6].map((n) => nextDelay(defaultRetryPolicy, 'busy', n));
    assert.deepEqual(busy, [30_000, 45_000, 67_500, 101_250, 120_000, null]);
    assert.equal(nextDelay(defaultRetryPolicy, 'rejected', 1), 120_000);
    assert.equal(nextDelay(defaultRetryPolicy, 'rejected', 2), null);
    assert.equal(nextDelay(defaultRetryPolicy, 'answered', 1), null);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => nextDelay(defaultRetryPolicy, 'bridge-error', n)),
      [5_000, 10_000, 20_000, 40_000, null],
      'the bridge failing to join an answered site: soon again',
    );
    assert.equal(nextDelay(defaultRetryPolicy, 'cancelled', 1), null);
  });

  it('scales for short test runs', () => {
    const fast = scalePolicy(defaultRetryPolicy, 0.001);
    assert.equal(nextDelay(fast, 'busy', 1), 30);
    assert.equal(nextDelay(fast, 'busy', 5), 120);
  });
});
