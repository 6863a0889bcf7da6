import assert from 'node:assert/strict';
import {
  applyProfile,
  deviceProfile,
  freeswitchVariables,
  freeswitchVideoKbps,
  h245VideoMaxBitRate,
  videoKbps,
  videoTiasBps,
} from '../../src/calls/device-profile';

/** FreeSWITCH's 3PCC offer (dial-out), as drachtio-fsmrf gets it. */
const FS_OFFER = [
  'v=0',
  'o=FreeSWITCH 1 2 IN IP4 127.0.0.1',
  's=FreeSWITCH',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 16400 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=ptime:20',
  'm=video 16402 RTP/AVP 102 103',
  'b=AS:1024',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1',
  'a=rtpmap:103 VP8/90000',
  'a=sendrecv',
  '',
].join('\r\n');

const lines = (sdp: string) => sdp.split('\r\n');

describe('device profiles (pure rules)', () => {
  it('has no profile for a site that sets nothing, and leaves its SDP and FreeSWITCH alone', () => {
    assert.equal(deviceProfile(null), null);
    assert.equal(deviceProfile({ h264PacketizationMode: null, bandwidthKbps: null }), null);
    assert.deepEqual(deviceProfile({ h264PacketizationMode: 0, bandwidthKbps: null }), { packetizationMode: 0, bandwidthKbps: null });
    assert.equal(applyProfile(FS_OFFER, null), FS_OFFER);
    assert.deepEqual(freeswitchVariables(null), {});
    assert.equal(h245VideoMaxBitRate(null), undefined);
  });

  it('says packetization-mode 0 on every H.264 format, and touches no other codec', () => {
    const out = lines(applyProfile(FS_OFFER, { packetizationMode: 0, bandwidthKbps: null }));
    assert.ok(out.includes('a=fmtp:102 profile-level-id=42e01f;packetization-mode=0'));
    assert.ok(!out.some((l) => l.includes('packetization-mode=1')));
    assert.ok(out.includes('b=AS:1024'), 'bandwidth untouched without a cap');
    assert.deepEqual(
      out.filter((l) => l.includes('103')),
      ['m=video 16402 RTP/AVP 102 103', 'a=rtpmap:103 VP8/90000'],
    );
    assert.equal(out.length, lines(FS_OFFER).length);
  });

  it('adds an fmtp to an H.264 format that had none (RFC 6184: no parameter means mode 0, say it anyway)', () => {
    const bare = FS_OFFER.replace('a=fmtp:102 profile-level-id=42e01f;packetization-mode=1\r\n', '');
    const out = lines(applyProfile(bare, { packetizationMode: 1, bandwidthKbps: null }));
    assert.equal(out[out.indexOf('a=rtpmap:102 H264/90000') + 1], 'a=fmtp:102 packetization-mode=1');
  });

  it('puts the line rate at session level and the video share on the video line, in RFC 4566 order', () => {
    const out = lines(applyProfile(FS_OFFER, { packetizationMode: null, bandwidthKbps: 384 }));
    // session: b= after c=, before t=
    assert.deepEqual(out.slice(3, 6), ['c=IN IP4 127.0.0.1', 'b=AS:384', 't=0 0']);
    const v = out.indexOf('m=video 16402 RTP/AVP 102 103');
    assert.deepEqual(out.slice(v, v + 3), ['m=video 16402 RTP/AVP 102 103', 'b=AS:304', `b=TIAS:${videoTiasBps(304)}`]);
    assert.equal(out.filter((l) => l.startsWith('b=')).length, 3, 'FreeSWITCH\u2019s b=AS:1024 replaced, audio has none');
    assert.ok(out.includes('a=fmtp:102 profile-level-id=42e01f;packetization-mode=1'), 'mode untouched without one');
  });

  it('never raises what the SDP already asked for', () => {
    const low = FS_OFFER.replace('b=AS:1024', 'b=AS:200');
    const out = lines(applyProfile(low, { packetizationMode: null, bandwidthKbps: 2048 }));
    assert.ok(out.includes('b=AS:200'));
    assert.ok(out.includes(`b=TIAS:${videoTiasBps(200)}`));
    assert.ok(out.includes('b=AS:2048'), 'session level: the line rate');
  });

  it('places video b= after a media-level c= and leaves a refused video line alone', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.5',
      's=-',
      't=0 0',
      'm=audio 5004 RTP/AVP 9',
      'c=IN IP4 10.0.0.5',
      'm=video 5006 RTP/AVP 96',
      'c=IN IP4 10.0.0.5',
      'a=rtpmap:96 H264/90000',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      '',
    ].join('\r\n');
    const out = lines(applyProfile(sdp, { packetizationMode: 0, bandwidthKbps: 768 }));
    assert.deepEqual(out.slice(3, 5), ['b=AS:768', 't=0 0'], 'no session c=: right before t=');
    const v = out.indexOf('m=video 5006 RTP/AVP 96');
    assert.deepEqual(out.slice(v, v + 5), [
      'm=video 5006 RTP/AVP 96',
      'c=IN IP4 10.0.0.5',
      'b=AS:688',
      `b=TIAS:${videoTiasBps(688)}`,
      'a=rtpmap:96 H264/90000',
    ]);
    assert.equal(out[v + 5], 'a=fmtp:96 packetization-mode=0');
    assert.deepEqual(out.slice(-3), ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', '']);
  });

  it('splits a line rate between audio and video, and converts it to TIAS, mod_av and H.245 units', () => {
    assert.equal(videoKbps(384), 304, 'G.711/G.722 take 80 kbit/s on the wire');
    assert.equal(videoKbps(2048), 1968);
    assert.equal(videoKbps(64), 32, 'a 64 kbit/s line is split evenly');
    assert.equal(videoTiasBps(304), Math.floor((304_000 * 1200) / 1240));
    // the stream peaks at value × 1024 bit/s (mod_av's ×3 and x264's 90 fps cancel at 30 fps)
    assert.equal(freeswitchVideoKbps(304), Math.floor(videoTiasBps(304) / 1024));
    assert.ok(freeswitchVideoKbps(304) * 1024 <= videoTiasBps(304));
    assert.equal(h245VideoMaxBitRate({ packetizationMode: null, bandwidthKbps: 384 }), Math.floor(videoTiasBps(304) / 100));
    assert.equal(h245VideoMaxBitRate({ packetizationMode: 0, bandwidthKbps: null }), undefined);
  });

  it('tells FreeSWITCH the same: a dedicated encoder for mode 0, the encoder bitrate for a cap', () => {
    assert.deepEqual(freeswitchVariables({ packetizationMode: 0, bandwidthKbps: null }), { video_use_dedicated_encoder: 'true' });
    assert.deepEqual(freeswitchVariables({ packetizationMode: 1, bandwidthKbps: null }), {});
    assert.deepEqual(freeswitchVariables({ packetizationMode: 1, bandwidthKbps: 384 }), {
      rtp_video_max_bandwidth_out: String(freeswitchVideoKbps(304)),
      rtp_video_max_bandwidth_in: '304',
    });
  });
});
