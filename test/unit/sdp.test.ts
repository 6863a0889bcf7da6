import assert from 'node:assert/strict';
import { checkOffer, mediaLines, negotiated } from '../../src/calls/sdp';

const sdp = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const head = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];

describe('SDP reading (src/calls/sdp.ts)', () => {
  it('names each line’s codecs from rtpmap or the static payload table', () => {
    const lines = mediaLines(
      sdp(...head, 'm=audio 4000 RTP/AVP 9 0 101', 'a=rtpmap:101 telephone-event/8000', 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000'),
    );
    assert.deepEqual(
      lines.map((l) => [l.kind, l.port, l.codecs]),
      [
        ['audio', 4000, ['G722', 'PCMU', 'TELEPHONE-EVENT']],
        ['video', 4002, ['H264']],
      ],
    );
  });

  it('takes a line’s direction from the line, else from the session, else sendrecv', () => {
    const plain = mediaLines(sdp(...head, 'm=audio 4000 RTP/AVP 0', 'm=video 4002 RTP/AVP 96', 'a=inactive'));
    assert.deepEqual(
      plain.map((l) => l.direction),
      ['sendrecv', 'inactive'],
    );
    const held = mediaLines(sdp(...head, 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'm=video 4002 RTP/AVP 96', 'a=recvonly'));
    assert.deepEqual(
      held.map((l) => l.direction),
      ['sendonly', 'recvonly'],
    );
  });

  it('records no video for a line that is rejected or inactive', () => {
    // What FreeSWITCH answers for a dial-out site that answered its offer with audio only.
    const audioOnly = sdp(
      ...head,
      'm=audio 26308 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=sendrecv',
      'm=video 22424 RTP/AVP 103',
      'a=rtpmap:103 H264/90000',
      'a=inactive',
    );
    assert.deepEqual(negotiated(audioOnly), { audio: 'PCMU', video: null });
    assert.deepEqual(negotiated(sdp(...head, 'm=audio 4000 RTP/AVP 9', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000')), { audio: 'G722', video: null });
    assert.deepEqual(negotiated(sdp(...head, 'm=audio 4000 RTP/AVP 9', 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=sendonly')), {
      audio: 'G722',
      video: 'H264',
    });
  });

  it('refuses an offer without audio the conference can mix', () => {
    assert.deepEqual(checkOffer(''), { ok: true });
    assert.equal(checkOffer(sdp(...head, 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000')).ok, false);
    const g729 = checkOffer(sdp(...head, 'm=audio 4000 RTP/AVP 18'));
    assert.ok(!g729.ok && /G729/.test(g729.why));
  });
});
