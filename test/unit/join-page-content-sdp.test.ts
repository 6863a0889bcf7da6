import assert from 'node:assert/strict';
import { ContentSdpError, contentSdp, h264First } from '../../src/web/content-sdp';
import { chromeOffer, sdp } from '../support/webrtc-sdp';

/**
 * What Chromium 156 (Debian) sends for a getDisplayMedia track on a sendonly transceiver with
 * H.264 preferred, after ICE gathering (codec list shortened). Chromium left out the
 * `a=content:slides` it had been given in setLocalDescription: hence munging what is sent.
 */
const CHROMIUM_SCREEN_OFFER = sdp(
  'v=0',
  'o=- 1980042182476557198 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS e214e621-6534-4852-9686-fc524f123a10',
  'm=video 39128 UDP/TLS/RTP/SAVPF 102 103 104 107 96 97 118 119 120',
  'c=IN IP4 127.0.0.1',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:3883880150 1 udp 2122194687 127.0.0.1 39128 typ host generation 0 network-id 3 network-cost 50',
  'a=ice-ufrag:Wj/q',
  'a=ice-pwd:OBhW6+U2ktOPy0Ss1a5Z2z5i',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 17:C6:34:29:76:50:5B:AB:29:15:A9:6B:E7:A2:1C:80:61:E4:28:8E:C8:85:FE:60:7A:57:6D:BB:2D:6F:7B:C8',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:e214e621-6534-4852-9686-fc524f123a10 35fddd2f-3159-44f7-a0b6-b2ef4fa3df93',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 ccm fir',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=104',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:118 red/90000',
  'a=rtpmap:119 rtx/90000',
  'a=fmtp:119 apt=118',
  'a=rtpmap:120 ulpfec/90000',
  'a=ssrc-group:FID 1128042789 1137163558',
  'a=ssrc:1128042789 cname:L4Uy70+lWssP9SPg',
  'a=ssrc:1137163558 cname:L4Uy70+lWssP9SPg',
);

const mediaLines = (s: string) => s.split('\r\n').filter((l) => l.startsWith('m='));
const attributes = (s: string, prefix: string) => s.split('\r\n').filter((l) => l.startsWith(prefix));

describe('content session SDP (join page)', () => {
  it("marks Chromium's screen offer as slides, sending only, and leaves the rest as Chromium wrote it", () => {
    const out = contentSdp(CHROMIUM_SCREEN_OFFER, 'sendonly');
    assert.deepEqual(mediaLines(out), ['m=video 39128 UDP/TLS/RTP/SAVPF 102 103 104 107 96 97 118 119 120']);
    assert.deepEqual(attributes(out, 'a=content:'), ['a=content:slides']);
    assert.deepEqual(
      out.split('\r\n').filter((l) => /^a=(?:sendrecv|sendonly|recvonly|inactive)$/.test(l)),
      ['a=sendonly'],
    );
    // Nothing else changed: the same lines but the direction, plus the content attribute.
    const rest = (s: string) => s.split('\r\n').filter((l) => !/^a=(?:sendrecv|sendonly|content:slides)$/.test(l));
    assert.deepEqual(rest(out), rest(CHROMIUM_SCREEN_OFFER));
    assert.ok(out.endsWith('\r\n'));
  });

  it('asks to receive with recvonly, and is idempotent', () => {
    const once = contentSdp(CHROMIUM_SCREEN_OFFER, 'recvonly');
    assert.match(once, /\r\na=content:slides\r\na=recvonly\r\n/);
    assert.equal(contentSdp(once, 'recvonly'), once);
    assert.equal(contentSdp(once, null), once, 'an answer keeps the direction');
  });

  it('keeps only the video line of an offer with audio, and the BUNDLE group with it', () => {
    const out = contentSdp(chromeOffer(), 'sendonly');
    assert.deepEqual(
      mediaLines(out).map((l) => l.split(' ')[0]),
      ['m=video'],
    );
    assert.deepEqual(attributes(out, 'a=group:'), ['a=group:BUNDLE 1']);
    assert.deepEqual(attributes(out, 'a=mid:'), ['a=mid:1']);
    assert.doesNotMatch(out, /opus|a=ssrc:1001/);
  });

  it('refuses what is not a description with a video line, with a typed error', () => {
    for (const bad of [
      '',
      'hello',
      sdp('v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0'),
      sdp('v=0', 's=-', 'm=audio 9 RTP/AVP 0'),
      sdp('v=0', 'm=video 0 RTP/AVP 96'),
    ]) {
      assert.throws(() => contentSdp(bad, 'sendonly'), ContentSdpError, JSON.stringify(bad));
    }
  });

  it('orders H.264 packetization-mode=1 first, then mode 0, then the rest as the browser had them', () => {
    const codecs = [
      { mimeType: 'video/VP8' },
      { mimeType: 'video/rtx', sdpFmtpLine: 'apt=96' },
      { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f' },
      { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' },
      { mimeType: 'video/AV1' },
      { mimeType: 'video/h264', sdpFmtpLine: 'packetization-mode=1;profile-level-id=4d001f' },
      { mimeType: 'video/H264', sdpFmtpLine: 'packetization-mode=10' },
    ];
    assert.deepEqual(
      h264First(codecs).map((c) => `${c.mimeType} ${c.sdpFmtpLine ?? ''}`.trim()),
      [
        'video/H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        'video/h264 packetization-mode=1;profile-level-id=4d001f',
        'video/H264 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
        'video/H264 packetization-mode=10',
        'video/VP8',
        'video/rtx apt=96',
        'video/AV1',
      ],
    );
    assert.equal(codecs[0]!.mimeType, 'video/VP8', 'the input is left as it was');
  });
});
