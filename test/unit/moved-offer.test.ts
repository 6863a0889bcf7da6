import assert from 'node:assert/strict';
import { answerForFreeswitch, movedOffer } from '../../src/calls/sip/moved-offer';

const lines = (...l: string[]) => `${l.join('\r\n')}\r\n`;

describe('the re-INVITE offer of a call moved to another media server', () => {
  // What the bridge last sent in the dialog: FreeSWITCH 1's answer, and the caller's BFCP line refused.
  const previous = lines(
    'v=0',
    'o=FreeSWITCH 1700000000 1700000001 IN IP4 10.0.0.1',
    's=FreeSWITCH',
    'c=IN IP4 10.0.0.1',
    't=0 0',
    'm=audio 20000 RTP/AVP 0',
    'a=sendrecv',
    'm=application 0 TCP/BFCP *',
    'm=video 20002 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
  );
  const fs2 = lines(
    'v=0',
    'o=FreeSWITCH 1800000000 1800000001 IN IP4 10.0.0.2',
    's=FreeSWITCH',
    'c=IN IP4 10.0.0.2',
    't=0 0',
    'm=audio 30000 RTP/AVP 0 8',
    'a=sendrecv',
    'm=video 30002 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
  );

  it("keeps the dialog's m= lines in their order, refuses the one FreeSWITCH does not offer, and the session at its next version", () => {
    const offer = movedOffer(previous, fs2);
    assert.equal(
      offer.sdp,
      lines(
        'v=0',
        'o=FreeSWITCH 1700000000 1700000002 IN IP4 10.0.0.2',
        's=FreeSWITCH',
        'c=IN IP4 10.0.0.2',
        't=0 0',
        'm=audio 30000 RTP/AVP 0 8',
        'a=sendrecv',
        'm=application 0 TCP/BFCP *',
        'm=video 30002 RTP/AVP 96',
        'a=rtpmap:96 H264/90000',
      ),
    );
    assert.deepEqual(offer.positions, [0, 2]);
  });

  it("gives FreeSWITCH the caller's answer to its own streams, in its order", () => {
    const offer = movedOffer(previous, fs2);
    const answer = lines(
      'v=0',
      'o=room 5 6 IN IP4 10.9.9.9',
      's=-',
      'c=IN IP4 10.9.9.9',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
      'm=application 0 TCP/BFCP *',
      'm=video 0 RTP/AVP 96',
    );
    assert.equal(
      answerForFreeswitch(answer, offer),
      lines('v=0', 'o=room 5 6 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'm=video 0 RTP/AVP 96'),
    );
  });

  it('puts a stream the dialog never had at the end, and takes a line the answer leaves out as refused', () => {
    const audioOnly = lines('v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0', 'm=audio 20000 RTP/AVP 0');
    const offer = movedOffer(audioOnly, fs2);
    assert.deepEqual(offer.positions, [0, 1]);
    assert.match(offer.sdp, /^o=- 1 2 IN IP4 10\.0\.0\.2\r$/m);
    assert.equal(
      answerForFreeswitch(lines('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0'), offer),
      lines('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'm=video 0 RTP/AVP 96'),
    );
  });
});
