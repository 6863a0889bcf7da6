import assert from 'node:assert/strict';
import { ContentFloor, type FloorChange } from '../../src/content/floor';

function watch(floor: ContentFloor): FloorChange[] {
  const seen: FloorChange[] = [];
  floor.onChange((ev) => void seen.push(ev));
  return seen;
}

describe('content floor', () => {
  describe('take-over', () => {
    it('grants a free floor, and a new request takes it from the holder', () => {
      const f = new ContentFloor('take-over');
      const seen = watch(f);
      assert.deepEqual(f.request('a'), { granted: true });
      assert.deepEqual(f.request('b'), { granted: true });
      assert.equal(f.holder, 'b');
      assert.deepEqual(seen, [
        { holder: 'a', previous: null, reason: 'granted' },
        { holder: 'b', previous: 'a', reason: 'taken-over' },
      ]);
    });

    it('a repeated request by the holder changes nothing', () => {
      const f = new ContentFloor('take-over');
      f.request('a');
      const seen = watch(f);
      assert.deepEqual(f.request('a'), { granted: true });
      assert.deepEqual(seen, []);
    });

    it('release by someone else is a no-op; by the holder frees the floor', () => {
      const f = new ContentFloor('take-over');
      f.request('a');
      const seen = watch(f);
      assert.equal(f.release('b'), false);
      assert.equal(f.release('a'), true);
      assert.equal(f.holder, null);
      assert.deepEqual(seen, [{ holder: null, previous: 'a', reason: 'released' }]);
    });
  });

  describe('queue', () => {
    it('queues requests with their positions and hands over in order on release', () => {
      const f = new ContentFloor('queue');
      const seen = watch(f);
      assert.deepEqual(f.request('a'), { granted: true });
      assert.deepEqual(f.request('b'), { granted: false, position: 1 });
      assert.deepEqual(f.request('c'), { granted: false, position: 2 });
      assert.deepEqual(f.request('b'), { granted: false, position: 1 }, 'asking again keeps the place');
      assert.deepEqual(f.queue, ['b', 'c']);
      f.release('a');
      assert.equal(f.holder, 'b');
      assert.deepEqual(f.queue, ['c']);
      assert.deepEqual(seen.at(-1), { holder: 'b', previous: 'a', reason: 'released' });
    });

    it('release of a queued request drops it without moving the floor', () => {
      const f = new ContentFloor('queue');
      f.request('a');
      f.request('b');
      const seen = watch(f);
      assert.equal(f.release('b'), true);
      assert.deepEqual(f.queue, []);
      assert.deepEqual(seen, []);
      f.release('a');
      assert.equal(f.holder, null);
    });

    it('leave of the holder passes the floor on with reason left', () => {
      const f = new ContentFloor('queue');
      f.request('a');
      f.request('b');
      const seen = watch(f);
      assert.equal(f.leave('a'), true);
      assert.deepEqual(seen, [{ holder: 'b', previous: 'a', reason: 'left' }]);
    });
  });

  describe('revoke', () => {
    it('returns the former holder and gives the floor to the next in line', () => {
      const f = new ContentFloor('queue');
      f.request('a');
      f.request('b');
      const seen = watch(f);
      assert.equal(f.revoke(), 'a');
      assert.equal(f.holder, 'b');
      assert.deepEqual(seen, [{ holder: 'b', previous: 'a', reason: 'revoked' }]);
    });

    it('on a free floor returns null and tells no one', () => {
      const f = new ContentFloor('take-over');
      const seen = watch(f);
      assert.equal(f.revoke(), null);
      assert.deepEqual(seen, []);
    });
  });

  it('an unsubscribed listener hears nothing more', () => {
    const f = new ContentFloor('take-over');
    const seen: FloorChange[] = [];
    const off = f.onChange((ev) => void seen.push(ev));
    f.request('a');
    off();
    f.request('b');
    assert.equal(seen.length, 1);
  });
});
