import assert from 'node:assert/strict';
import { PICTURE_FAST_UPDATE, isPictureFastUpdate, rateGate } from '../../src/calls/keyframes';

describe('keyframe requests (pure parts)', () => {
  it('recognises an RFC 5168 picture_fast_update INFO, and nothing else', () => {
    assert.equal(isPictureFastUpdate('application/media_control+xml', PICTURE_FAST_UPDATE), true);
    // Room systems vary the spelling: charset parameters, explicit end tags, other whitespace.
    assert.equal(
      isPictureFastUpdate(
        'Application/Media_Control+XML; charset=utf-8',
        '<media_control><vc_primitive><to_encoder><picture_fast_update></picture_fast_update></to_encoder></vc_primitive></media_control>',
      ),
      true,
    );
    assert.equal(isPictureFastUpdate('application/dtmf-relay', 'Signal=5\r\nDuration=160'), false);
    assert.equal(isPictureFastUpdate('application/media_control+xml', '<media_control><general_error>x</general_error></media_control>'), false);
    assert.equal(isPictureFastUpdate(undefined, PICTURE_FAST_UPDATE), false);
  });

  it('passes at most one request per interval', () => {
    let now = 1000;
    const gate = rateGate(500, () => now);
    const seen = [0, 100, 499, 500, 999, 1000, 1600].map((t) => {
      now = 1000 + t;
      return gate();
    });
    assert.deepEqual(seen, [true, false, false, true, false, true, true]);
  });
});
