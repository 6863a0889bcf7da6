import assert from 'node:assert/strict';
import { buildContentOffer, contentLegPlaceholderOffer, splitContentAnswer } from '../../src/calls/content/content-outgoing';
import { bfcpServable, buildContentAnswer, ContentSdpError, contentCodecs, hasContent, splitContentOffer } from '../../src/calls/content/content-sdp';
import { Rng } from '../support/rng';

const crlf = (lines: readonly string[]) => `${lines.join('\r\n')}\r\n`;

/** The m= sections of an SDP, each as its lines (split here independently of the code under test). */
const sections = (sdp: string): string[][] =>
  sdp
    .split(/\r?\n(?=m=)/)
    .slice(1)
    .map((s) => s.split(/\r?\n/).filter(Boolean));
const mLines = (sdp: string) => sections(sdp).map((s) => s[0]!);
const session = (sdp: string) => sdp.split(/\r?\n(?=m=)/)[0]!.split(/\r?\n/);

// Cisco Jabber calling through CUCM with BFCP: the INVITE's SDP in Cisco TAC document 212429
// ("Configure Jabber to Use Custom Audio and Video Port Range on CUCM 11.5.1", cisco.com), cut
// to fewer formats. Media-level c= everywhere, main video labelled 11, slides 12, UDP/BFCP c-s.
const CISCO_JABBER = crlf([
  'v=0',
  'o=Cisco-SIPUA 20391 0 IN IP4 10.66.87.207',
  's=SIP Call',
  'b=AS:4000',
  't=0 0',
  'a=cisco-mari:v1',
  'm=audio 16390 RTP/AVP 114 9 0 8 101',
  'c=IN IP4 10.66.87.207',
  'a=rtpmap:114 opus/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'm=video 16398 RTP/AVP 126 97 111',
  'c=IN IP4 10.66.87.207',
  'b=TIAS:4000000',
  'a=rtpmap:126 H264/90000',
  'a=fmtp:126 profile-level-id=42E01F;packetization-mode=1;level-asymmetry-allowed=1;max-fs=3601;max-rcmd-nalu-size=32000',
  'a=content:main',
  'a=label:11',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42E01F;packetization-mode=0;level-asymmetry-allowed=1;max-fs=3601',
  'a=rtpmap:111 x-ulpfecuc/8000',
  'a=rtcp-fb:* ccm fir',
  'a=rtcp-fb:* nack pli',
  'a=recvonly',
  'm=video 16394 RTP/AVP 126 97 111',
  'c=IN IP4 10.66.87.207',
  'b=TIAS:4000000',
  'a=rtpmap:126 H264/90000',
  'a=fmtp:126 profile-level-id=42E01F;packetization-mode=1;level-asymmetry-allowed=1;max-fs=3601;max-rcmd-nalu-size=32000',
  'a=content:slides',
  'a=label:12',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42E01F;packetization-mode=0;level-asymmetry-allowed=1;max-fs=3601',
  'a=rtpmap:111 x-ulpfecuc/8000',
  'a=rtcp-fb:* ccm fir',
  'a=rtcp-fb:* nack pli',
  'a=sendrecv',
  'm=application 5904 UDP/BFCP *',
  'c=IN IP4 10.66.87.207',
  'a=floorctrl:c-s',
  'a=confid:3',
  'a=floorid:2 mstrm:12',
  'a=userid:3',
  'a=setup:actpass',
  'a=connection:new',
  'a=sendrecv',
  'm=application 39878 RTP/AVP 125',
  'c=IN IP4 10.66.87.207',
  'a=rtpmap:125 H224/4800',
  'a=sendrecv',
]);

// A Tandberg (Cisco TelePresence) INVITE as kept in a SIP stack's published test data (o=tandberg):
// session-level c= only, main 11 / slides 12, UDP/BFCP c-s, then H.224 far-end camera control.
const TANDBERG = crlf([
  'v=0',
  'o=tandberg 1 2 IN IP4 192.168.1.8',
  's=-',
  'c=IN IP4 203.188.221.150',
  'b=AS:384',
  't=0 0',
  'm=audio 52120 RTP/AVP 127 120 8 0 100',
  'b=TIAS:384000',
  'a=rtpmap:127 MP4A-LATM/90000',
  'a=fmtp:127 profile-level-id=24;object=23;bitrate=64000',
  'a=rtpmap:120 G7221/16000',
  'a=fmtp:120 bitrate=24000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:100 telephone-event/8000',
  'a=fmtp:100 0-15',
  'a=sendrecv',
  'm=video 52130 RTP/AVP 123 122 97 34',
  'b=TIAS:384000',
  'a=rtpmap:123 H264/90000',
  'a=fmtp:123 profile-level-id=42801f;max-mbps=108000;max-fs=3600;max-smbps=323500;packetization-mode=1',
  'a=rtpmap:122 H264/90000',
  'a=fmtp:122 profile-level-id=42801f;max-mbps=108000;max-fs=3600;max-smbps=323500',
  'a=rtpmap:97 H263-1998/90000',
  'a=rtpmap:34 H263/90000',
  'a=rtcp-fb:* nack pli',
  'a=rtcp-fb:* ccm fir',
  'a=sendrecv',
  'a=content:main',
  'a=label:11',
  'a=answer:full',
  'm=video 52128 RTP/AVP 123 122 97 34',
  'b=TIAS:384000',
  'a=rtpmap:123 H264/90000',
  'a=fmtp:123 profile-level-id=428028;max-mbps=245760;max-fs=8192;max-smbps=323500;packetization-mode=1',
  'a=rtpmap:122 H264/90000',
  'a=fmtp:122 profile-level-id=428028;max-mbps=245760;max-fs=8192;max-smbps=323500',
  'a=rtpmap:97 H263-1998/90000',
  'a=rtpmap:34 H263/90000',
  'a=rtcp-fb:* nack pli',
  'a=rtcp-fb:* ccm fir',
  'a=sendrecv',
  'a=content:slides',
  'a=label:12',
  'm=application 52126 UDP/BFCP *',
  'a=floorctrl:c-s',
  'a=confid:1',
  'a=floorid:2 mstrm:12',
  'a=userid:1',
  'a=setup:actpass',
  'a=connection:new',
  'm=application 52134 RTP/AVP 105',
  'a=rtpmap:105 H224/4800',
  'a=sendrecv',
]);

// A Poly endpoint's INVITE as logged by a LiveKit SIP gateway's BFCP work (vopenia-io, test data
// "Call1Offer"): one video line, a disabled UDP/BFCP line, then TCP/BFCP actpass whose floor names
// stream 3 — a content line Poly adds later by re-INVITE. LF line ends, as logged.
const POLY_GROUP = [
  'v=0',
  'o=- 0 0 IN IP4 192.168.0.10',
  's=-',
  'c=IN IP4 192.168.0.10',
  't=0 0',
  'm=audio 27448 RTP/AVP 101 9 0 8',
  'a=rtcp:27449',
  'a=sendrecv',
  'a=rtpmap:101 telephone-event/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'm=video 29688 RTP/AVP 109 110 111',
  'a=rtcp:29689',
  'a=sendrecv',
  'a=rtpmap:109 H264/90000',
  'a=fmtp:109 max-fs=8192;max-mbps=490000;profile-level-id=428020;sar=13;sar-supported=13',
  'a=rtpmap:110 H264/90000',
  'a=fmtp:110 max-fs=8192;max-mbps=490000;packetization-mode=1;profile-level-id=428020;sar=13;sar-supported=13',
  'a=rtpmap:111 H264/90000',
  'a=fmtp:111 max-fs=8192;max-mbps=490000;packetization-mode=1;profile-level-id=640020;sar=13;sar-supported=13',
  'a=rtcp-fb:* ccm tmmbr',
  'a=rtcp-fb:* ccm fir',
  'm=application 0 UDP/BFCP *',
  'a=inactive',
  'm=application 22164 TCP/BFCP *',
  'a=setup:actpass',
  'a=connection:new',
  'a=floorctrl:c-s',
  'a=confid:1',
  'a=userid:2',
  'a=floorid:1 mstrm:3',
  '',
].join('\n');

// Polycom HDX 8000 (release 2.5) INVITE bodies from the same published SIP test data: TCP/BFCP
// offered three ways — c-s actpass (servable), c-only active (servable), s-only passive (not: the
// HDX wants to be the server and to wait for a connection).
const hdx = (bfcp: readonly string[]) =>
  crlf([
    'v=0',
    'o=hdx8000 2024860525 0 IN IP4 192.168.62.113',
    's=-',
    'c=IN IP4 192.168.62.113',
    'b=AS:384',
    't=0 0',
    'm=audio 49426 RTP/AVP 115 102 9 15 0 8 18',
    'a=rtpmap:115 G7221/32000',
    'a=fmtp:115 bitrate=48000',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=sendrecv',
    'm=video 49428 RTP/AVP 109 96 34 31',
    'b=TIAS:384000',
    'a=rtpmap:109 H264/90000',
    'a=fmtp:109 profile-level-id=42800d; max-mbps=108000; max-fs=3600; max-br=1600; sar=13',
    'a=rtpmap:96 H263-1998/90000',
    'a=rtpmap:34 H263/90000',
    'a=rtpmap:31 H261/90000',
    'a=sendrecv',
    'a=rtcp-fb:* ccm fir tmmbr',
    ...bfcp,
  ]);
const HDX_CS = hdx(['m=application 34683 TCP/BFCP *', 'a=floorctrl:c-s', 'a=setup:actpass', 'a=connection:new']);
const HDX_C_ONLY = hdx(['m=application 34683 TCP/BFCP *', 'a=floorctrl:c-only', 'a=setup:active', 'a=connection:new']);
const HDX_S_ONLY = hdx([
  'm=application 34683 TCP/BFCP *',
  'a=floorctrl:s-only',
  'a=setup:passive',
  'a=connection:new',
  'a=confid:1',
  'a=userid:2',
  'a=floorid:1 mstrm:3',
]);

/** FreeSWITCH's answer to CISCO_JABBER's main part (audio, main video, H.224 refused). */
const FS_MAIN_ANSWER = crlf([
  'v=0',
  'o=FreeSWITCH 1700000000 1700000001 IN IP4 192.0.2.10',
  's=FreeSWITCH',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 20000 RTP/AVP 114 101',
  'a=rtpmap:114 opus/48000/2',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  'm=video 20002 RTP/AVP 126',
  'b=AS:1024',
  'a=rtpmap:126 H264/90000',
  'a=fmtp:126 profile-level-id=42e01f;packetization-mode=1',
  'a=sendonly',
  'm=application 0 RTP/AVP 125',
]);

/** FreeSWITCH's content leg's answer to a video-only offer. */
const FS_CONTENT_ANSWER = crlf([
  'v=0',
  'o=FreeSWITCH 1700000100 1700000101 IN IP4 192.0.2.11',
  's=FreeSWITCH',
  'c=IN IP4 192.0.2.11',
  't=0 0',
  'm=video 20010 RTP/AVP 126',
  'b=AS:1024',
  'a=rtpmap:126 H264/90000',
  'a=fmtp:126 profile-level-id=42e01f;packetization-mode=1',
  'a=rtcp-fb:126 ccm fir',
  'a=sendrecv',
]);

const SERVER = { address: '192.0.2.10', port: 40000, conferenceId: 7, userId: 2, floorId: 1 };

describe('content sharing SDP (pure rules)', () => {
  describe('a room system calls in: splitting its offer', () => {
    it('takes the slides line and the BFCP line out of a Cisco offer, and leaves the rest to FreeSWITCH untouched', () => {
      const { main, content } = splitContentOffer(CISCO_JABBER);
      assert.ok(content);
      assert.deepEqual(mLines(main), ['m=audio 16390 RTP/AVP 114 9 0 8 101', 'm=video 16398 RTP/AVP 126 97 111', 'm=application 39878 RTP/AVP 125']);
      assert.deepEqual(session(main), session(CISCO_JABBER), 'session part unchanged');
      const offered = sections(CISCO_JABBER);
      assert.deepEqual(sections(main), [offered[0], offered[1], offered[4]], 'kept sections byte for byte');
      assert.ok(!main.replace(/\r\n/g, '').includes('\n'), 'CRLF kept');
      assert.equal(content.sections, 5);
      assert.equal(content.video?.index, 2);
      assert.equal(content.video?.label, '12');
      assert.equal(content.video?.port, 16394);
      assert.deepEqual(content.bfcp, {
        index: 3,
        proto: 'UDP/BFCP',
        port: 5904,
        address: '10.66.87.207',
        floorctrl: ['c-s'],
        setup: 'actpass',
        connection: 'new',
        floorIds: [{ id: 2, labels: ['12'] }],
      });
      assert.deepEqual(bfcpServable(content.bfcp!), { ok: true });
    });

    it('gives the content leg a video-only offer: the session part and the slides section, H.264 kept, without a=content/a=label', () => {
      const leg = splitContentOffer(CISCO_JABBER).content!.video!.legOffer;
      assert.deepEqual(session(leg), session(CISCO_JABBER));
      assert.deepEqual(mLines(leg), ['m=video 16394 RTP/AVP 126 97 111']);
      const lines = sections(leg)[0]!;
      assert.ok(lines.includes('c=IN IP4 10.66.87.207'));
      assert.ok(lines.includes('a=fmtp:97 profile-level-id=42E01F;packetization-mode=0;level-asymmetry-allowed=1;max-fs=3601'));
      assert.ok(!lines.some((l) => l.startsWith('a=content') || l.startsWith('a=label')));
      assert.deepEqual(
        contentCodecs(leg).map((c) => [c.pt, c.name]),
        [
          ['126', 'H264'],
          ['97', 'H264'],
          ['111', 'X-ULPFECUC'],
        ],
      );
    });

    it('reads the BFCP address from the session c= when the line has none (Tandberg)', () => {
      const { content } = splitContentOffer(TANDBERG);
      assert.equal(content?.bfcp?.address, '203.188.221.150');
      assert.equal(content?.video?.index, 2);
      assert.equal(content?.video?.port, 52128);
    });

    it('finds the content line by the floor’s mstrm label when nothing says a=content', () => {
      const unmarked = TANDBERG.replace('a=content:main\r\n', '').replace('a=content:slides\r\n', '');
      const { content } = splitContentOffer(unmarked);
      assert.equal(content?.video?.index, 2);
      assert.equal(content?.video?.label, '12');
    });

    it('never takes the only video line for content, whatever it says', () => {
      const one = crlf([
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=video 5000 RTP/AVP 96',
        'a=rtpmap:96 H264/90000',
        'a=content:slides',
        'a=label:3',
      ]);
      assert.deepEqual(splitContentOffer(one), { main: one, content: null });
    });

    it('leaves an offer without BFCP or slides exactly as it is', () => {
      const plain = hdx([]);
      assert.deepEqual(splitContentOffer(plain), { main: plain, content: null });
      assert.equal(hasContent(plain), false);
      // Two video lines without any content marking or floor: nothing to take out either.
      const twoVideos = TANDBERG.replace(/a=content:\w+\r\n/g, '').replace(/m=application 52126[\s\S]*?(?=m=application 52134)/, '');
      assert.equal(splitContentOffer(twoVideos).content, null);
    });

    it('picks the active BFCP line among a disabled one and keeps both from FreeSWITCH (Poly)', () => {
      const { main, content } = splitContentOffer(POLY_GROUP);
      assert.deepEqual(mLines(main), ['m=audio 27448 RTP/AVP 101 9 0 8', 'm=video 29688 RTP/AVP 109 110 111']);
      assert.ok(!main.includes('\r'), 'LF kept');
      assert.equal(content?.video, null, 'its floor names stream 3, which is not in this offer');
      assert.equal(content?.bfcp?.index, 3);
      assert.equal(content?.bfcp?.proto, 'TCP/BFCP');
      assert.equal(content?.bfcp?.address, '192.168.0.10');
      assert.deepEqual(bfcpServable(content!.bfcp!), { ok: true });
      assert.equal(hasContent(POLY_GROUP), true);
    });

    it('treats a port-0 slides line as absent, but still keeps it from FreeSWITCH', () => {
      const off = TANDBERG.replace('m=video 52128 ', 'm=video 0 ');
      const { main, content } = splitContentOffer(off);
      assert.equal(content?.video, null);
      assert.equal(content?.bfcp?.index, 3);
      assert.equal(mLines(main).filter((l) => l.startsWith('m=video')).length, 1);
    });

    it('serves UDP and TCP BFCP to a client, and refuses TLS and an offerer that waits to be connected', () => {
      const bfcpOf = (sdp: string) => splitContentOffer(sdp).content!.bfcp!;
      assert.deepEqual(bfcpServable(bfcpOf(HDX_CS)), { ok: true });
      assert.deepEqual(bfcpServable(bfcpOf(HDX_C_ONLY)), { ok: true });
      const passive = bfcpServable(bfcpOf(HDX_S_ONLY));
      assert.equal(passive.ok, false);
      const passiveSetup = bfcpServable({ ...bfcpOf(HDX_CS), setup: 'passive' });
      assert.match(passiveSetup.ok ? '' : passiveSetup.why, /a=setup:passive/);
      const tls = bfcpServable(bfcpOf(TANDBERG.replace('UDP/BFCP', 'TCP/TLS/BFCP')));
      assert.match(tls.ok ? '' : tls.why, /TCP\/TLS\/BFCP is not supported/);
      assert.equal(bfcpServable(bfcpOf(TANDBERG.replace('UDP/BFCP', 'UDP/TLS/BFCP'))).ok, false);
      // No a=floorctrl: the offerer is the client (RFC 8856), so the bridge serves it.
      assert.deepEqual(bfcpServable({ ...bfcpOf(HDX_CS), floorctrl: [] }), { ok: true });
    });
  });

  describe('a room system calls in: the answer', () => {
    const answer = () => buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: FS_CONTENT_ANSWER, bfcp: SERVER });

    it("answers every offered line in the offer's order, from FreeSWITCH's answers and the bridge's BFCP server", () => {
      const a = answer();
      assert.deepEqual(mLines(a), [
        'm=audio 20000 RTP/AVP 114 101',
        'm=video 20002 RTP/AVP 126',
        'm=video 20010 RTP/AVP 126',
        'm=application 40000 UDP/BFCP *',
        'm=application 0 RTP/AVP 125',
      ]);
      assert.deepEqual(session(a), session(FS_MAIN_ANSWER), "session part from FreeSWITCH's main answer");
      assert.deepEqual(sections(a)[3], [
        'm=application 40000 UDP/BFCP *',
        'c=IN IP4 192.0.2.10',
        'a=floorctrl:s-only',
        'a=confid:7',
        'a=userid:2',
        'a=floorid:1 mstrm:12',
      ]);
      assert.ok(!a.replace(/\r\n/g, '').includes('\n'), 'CRLF');
    });

    it("marks the content leg's section as slides with the offer's label, standing alone with its own c=", () => {
      const content = sections(answer())[2]!;
      assert.deepEqual(
        content.filter((l) => l.startsWith('c=')),
        ['c=IN IP4 192.0.2.11'],
      );
      assert.equal(content[1], 'c=IN IP4 192.0.2.11', 'c= right after the m= line');
      assert.ok(content.includes('a=content:slides'));
      assert.ok(content.includes('a=label:12'));
      assert.ok(content.includes('a=fmtp:126 profile-level-id=42e01f;packetization-mode=1'));
      // A leg answer with its own media c= as well: still exactly one c=, the media one.
      const both = FS_CONTENT_ANSWER.replace('m=video 20010 RTP/AVP 126\r\n', 'm=video 20010 RTP/AVP 126\r\nc=IN IP4 192.0.2.12\r\n');
      const withOwn = sections(buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: both, bfcp: SERVER }))[2]!;
      assert.deepEqual(
        withOwn.filter((l) => l.startsWith('c=')),
        ['c=IN IP4 192.0.2.12'],
      );
      for (const s of sections(answer())) {
        for (const prefix of ['c=', 'b=AS:', 'b=TIAS:']) assert.ok(s.filter((l) => l.startsWith(prefix)).length <= 1, `${prefix} once in ${s[0]}`);
      }
    });

    it('refuses the content line when there is no content leg, and then names no stream in the floor', () => {
      const a = buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: null, bfcp: SERVER });
      assert.deepEqual(sections(a)[2], ['m=video 0 RTP/AVP 126 97 111']);
      assert.ok(sections(a)[3]!.includes('a=floorid:1'));
      const refusedLeg = FS_CONTENT_ANSWER.replace('m=video 20010 ', 'm=video 0 ');
      const b = buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: refusedLeg, bfcp: SERVER });
      assert.deepEqual(sections(b)[2], ['m=video 0 RTP/AVP 126 97 111']);
    });

    it('refuses the BFCP line when the bridge does not serve it, or cannot (TLS), with the offered proto', () => {
      const none = buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: FS_CONTENT_ANSWER, bfcp: null });
      assert.deepEqual(sections(none)[3], ['m=application 0 UDP/BFCP *']);
      const tlsOffer = CISCO_JABBER.replace('UDP/BFCP', 'TCP/TLS/BFCP');
      const tls = buildContentAnswer({ offer: tlsOffer, mainAnswer: FS_MAIN_ANSWER, contentAnswer: FS_CONTENT_ANSWER, bfcp: SERVER });
      assert.deepEqual(sections(tls)[3], ['m=application 0 TCP/TLS/BFCP *']);
      assert.equal(mLines(tls).length, 5);
    });

    it('answers TCP/BFCP as the listening side, refuses the disabled line, and keeps the count (Poly)', () => {
      const main = crlf([
        'v=0',
        'o=FreeSWITCH 1 2 IN IP4 192.0.2.10',
        's=FreeSWITCH',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 20000 RTP/AVP 9 101',
        'a=rtpmap:9 G722/8000',
        'm=video 20002 RTP/AVP 110',
        'a=rtpmap:110 H264/90000',
      ]);
      const a = buildContentAnswer({ offer: POLY_GROUP, mainAnswer: main, contentAnswer: null, bfcp: SERVER });
      assert.deepEqual(mLines(a), ['m=audio 20000 RTP/AVP 9 101', 'm=video 20002 RTP/AVP 110', 'm=application 0 UDP/BFCP *', 'm=application 40000 TCP/BFCP *']);
      assert.deepEqual(sections(a)[3]!.slice(2), ['a=floorctrl:s-only', 'a=confid:7', 'a=userid:2', 'a=floorid:1', 'a=setup:passive', 'a=connection:new']);
    });

    it('refuses the BFCP line of an offerer that only waits to be connected (HDX s-only passive)', () => {
      const main = crlf([
        'v=0',
        'o=FreeSWITCH 1 2 IN IP4 192.0.2.10',
        's=FreeSWITCH',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 20000 RTP/AVP 9',
        'm=video 20002 RTP/AVP 109',
      ]);
      const a = buildContentAnswer({ offer: HDX_S_ONLY, mainAnswer: main, contentAnswer: null, bfcp: SERVER });
      assert.deepEqual(mLines(a), ['m=audio 20000 RTP/AVP 9', 'm=video 20002 RTP/AVP 109', 'm=application 0 TCP/BFCP *']);
    });

    it('gives a slides line without a=label a fresh label, the same in a=label and mstrm', () => {
      const off = TANDBERG.replace('a=label:12\r\n', '').replace('a=floorid:2 mstrm:12', 'a=floorid:2');
      const main = crlf([
        'v=0',
        'o=FreeSWITCH 1 2 IN IP4 192.0.2.10',
        's=FreeSWITCH',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 1 RTP/AVP 8',
        'm=video 2 RTP/AVP 123',
        'm=application 0 RTP/AVP 105',
      ]);
      const a = sections(buildContentAnswer({ offer: off, mainAnswer: main, contentAnswer: FS_CONTENT_ANSWER, bfcp: SERVER }));
      const label = a[2]!.find((l) => l.startsWith('a=label:'))!.slice(8);
      assert.notEqual(label, '11', 'not the main line’s label');
      assert.ok(a[3]!.includes(`a=floorid:1 mstrm:${label}`));
    });

    it('refuses, rather than drops, a main section FreeSWITCH did not answer', () => {
      const short = FS_MAIN_ANSWER.replace('m=application 0 RTP/AVP 125\r\n', '');
      const a = buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: short, contentAnswer: FS_CONTENT_ANSWER, bfcp: SERVER });
      assert.equal(mLines(a)[4], 'm=application 0 RTP/AVP 125');
    });

    it('says what is wrong with its own inputs by a typed error', () => {
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          assert.ok(e instanceof ContentSdpError, String(e));
          return e.code;
        }
        return 'no error';
      };
      assert.equal(
        code(() => buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: 'garbage', contentAnswer: null, bfcp: null })),
        'bad-sdp',
      );
      for (const bad of [{ port: 70000 }, { port: 0 }, { floorId: 65536 }, { conferenceId: 2 ** 32 }, { userId: -1 }, { address: '1.2.3.4\r\na=evil' }]) {
        assert.equal(
          code(() => buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: FS_MAIN_ANSWER, contentAnswer: null, bfcp: { ...SERVER, ...bad } })),
          'bad-parameter',
          JSON.stringify(bad),
        );
      }
    });
  });

  describe('the bridge dials a room system', () => {
    const FS_OFFER = crlf([
      'v=0',
      'o=FreeSWITCH 1 2 IN IP4 192.0.2.10',
      's=FreeSWITCH',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      'm=audio 16400 RTP/AVP 9 0 8 101',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:101 telephone-event/8000',
      'm=video 16402 RTP/AVP 102',
      'b=AS:1024',
      'a=rtpmap:102 H264/90000',
      'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1',
      'a=sendrecv',
    ]);

    it('offers FreeSWITCH a video-only H.264 placeholder, modes 1 and 0, with key-frame feedback', () => {
      const p = contentLegPlaceholderOffer({ address: '192.0.2.10' });
      assert.deepEqual(mLines(p), ['m=video 9 RTP/AVP 97 98 99 100']);
      assert.ok(p.endsWith('\r\n') && !p.replace(/\r\n/g, '').includes('\n'));
      const codecs = contentCodecs(p);
      assert.ok(codecs.every((c) => c.name === 'H264'));
      assert.deepEqual(
        codecs.map((c) => c.fmtp),
        [
          'profile-level-id=42e01f;packetization-mode=1',
          'profile-level-id=42e01f;packetization-mode=0',
          'profile-level-id=42801f;packetization-mode=1',
          'profile-level-id=42801f;packetization-mode=0',
        ],
      );
      assert.ok(p.includes('a=rtcp-fb:* nack pli\r\n') && p.includes('a=rtcp-fb:* ccm fir\r\n'));
      assert.ok(contentLegPlaceholderOffer({ address: '2001:db8::1' }).includes('c=IN IP6 2001:db8::1\r\n'));
      assert.throws(() => contentLegPlaceholderOffer({ address: '1.2.3.4\r\nm=audio 1 RTP/AVP 0' }), ContentSdpError);
    });

    it("offers FreeSWITCH's main offer, then the content line and the BFCP line that names it", () => {
      const offer = buildContentOffer({ mainOffer: FS_OFFER, contentLine: FS_CONTENT_ANSWER, bfcp: { ...SERVER, proto: 'TCP/BFCP' } });
      assert.deepEqual(session(offer), session(FS_OFFER));
      assert.deepEqual(sections(offer).slice(0, 2), sections(FS_OFFER));
      const [, , content, bfcp] = sections(offer);
      assert.deepEqual(content, [
        'm=video 20010 RTP/AVP 126',
        'c=IN IP4 192.0.2.11',
        'b=AS:1024',
        'a=rtpmap:126 H264/90000',
        'a=fmtp:126 profile-level-id=42e01f;packetization-mode=1',
        'a=rtcp-fb:126 ccm fir',
        'a=sendrecv',
        'a=content:slides',
        'a=label:3',
      ]);
      assert.deepEqual(bfcp, [
        'm=application 40000 TCP/BFCP *',
        'c=IN IP4 192.0.2.10',
        'a=floorctrl:s-only',
        'a=confid:7',
        'a=userid:2',
        'a=floorid:1 mstrm:3',
        'a=setup:passive',
        'a=connection:new',
      ]);
      const udp = sections(buildContentOffer({ mainOffer: FS_OFFER, contentLine: FS_CONTENT_ANSWER, bfcp: { ...SERVER, proto: 'UDP/BFCP' } }))[3]!;
      assert.ok(!udp.some((l) => l.startsWith('a=setup') || l.startsWith('a=connection')));
    });

    it('round trip: a room system’s answer splits back into the main answer, the content leg’s SDP and its BFCP line', () => {
      const offer = buildContentOffer({ mainOffer: FS_OFFER, contentLine: FS_CONTENT_ANSWER, bfcp: { ...SERVER, proto: 'TCP/BFCP' } });
      // Hand-written in the manner of a Cisco room system's 200 OK: media c= on each line.
      const roomAnswer = crlf([
        'v=0',
        'o=tandberg 5 6 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        'b=AS:2048',
        't=0 0',
        'm=audio 2326 RTP/AVP 9 101',
        'a=rtpmap:9 G722/8000',
        'a=rtpmap:101 telephone-event/8000',
        'm=video 2328 RTP/AVP 102',
        'a=rtpmap:102 H264/90000',
        'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1',
        'a=content:main',
        'a=label:11',
        'm=video 2330 RTP/AVP 126',
        'c=IN IP4 198.51.100.8',
        'a=rtpmap:126 H264/90000',
        'a=fmtp:126 profile-level-id=42e01f;packetization-mode=1',
        'a=content:slides',
        'a=label:3',
        'm=application 5070 TCP/BFCP *',
        'a=floorctrl:c-only',
        'a=confid:7',
        'a=userid:2',
        'a=floorid:1 mstrm:3',
        'a=setup:active',
        'a=connection:new',
      ]);
      const split = splitContentAnswer(roomAnswer, offer);
      assert.deepEqual(session(split.main), session(roomAnswer));
      assert.deepEqual(sections(split.main), sections(roomAnswer).slice(0, 2));
      assert.deepEqual(mLines(split.contentAnswer!), ['m=video 2330 RTP/AVP 126']);
      assert.ok(split.contentAnswer!.includes('c=IN IP4 198.51.100.8\r\n'));
      assert.ok(!/a=(content|label)/.test(split.contentAnswer!));
      assert.deepEqual(split.bfcp, { proto: 'TCP/BFCP', port: 5070, address: '198.51.100.7', setup: 'active' });

      const refused = splitContentAnswer(roomAnswer.replace('m=video 2330 ', 'm=video 0 ').replace('m=application 5070 ', 'm=application 0 '), offer);
      assert.equal(refused.contentAnswer, null);
      assert.equal(refused.bfcp, null);
      assert.equal(mLines(refused.main).length, 2);
      const short = splitContentAnswer(roomAnswer.split('m=video 2330')[0]!, offer);
      assert.deepEqual({ contentAnswer: short.contentAnswer, bfcp: short.bfcp, m: mLines(short.main).length }, { contentAnswer: null, bfcp: null, m: 2 });
    });

    it('says what is wrong with its own inputs by a typed error', () => {
      assert.throws(
        () => buildContentOffer({ mainOffer: FS_OFFER, contentLine: 'v=0\r\n', bfcp: { ...SERVER, proto: 'UDP/BFCP' } }),
        (e) => e instanceof ContentSdpError && e.code === 'no-content-video',
      );
      assert.throws(
        () => buildContentOffer({ mainOffer: '', contentLine: FS_CONTENT_ANSWER, bfcp: { ...SERVER, proto: 'UDP/BFCP' } }),
        (e) => e instanceof ContentSdpError && e.code === 'bad-sdp',
      );
    });
  });

  describe('hostile input', () => {
    it('drops floor ids and ports beyond their fields, and labels that are not tokens', () => {
      const huge = TANDBERG.replace('a=floorid:2 mstrm:12', 'a=floorid:99999999999 mstrm:12').replace(/a=content:\w+\r\n/g, '');
      const { content } = splitContentOffer(huge);
      assert.deepEqual(content?.bfcp?.floorIds, []);
      assert.equal(content?.video, null, 'no floor names a stream, and nothing says slides');
      const bigPort = splitContentOffer(TANDBERG.replace('m=application 52126 ', 'm=application 99999999999999999999 '));
      assert.equal(bigPort.content?.bfcp, null);
      assert.equal(splitContentOffer(TANDBERG.replace('m=application 52126 ', 'm=application 70000 ')).content?.bfcp, null);
      const evil = splitContentOffer(CISCO_JABBER.replace('a=label:12', 'a=label:12"<x>'));
      assert.equal(evil.content?.video?.label, null);
      const a = buildContentAnswer({
        offer: CISCO_JABBER.replace('a=label:12', 'a=label:12"<x>'),
        mainAnswer: FS_MAIN_ANSWER,
        contentAnswer: FS_CONTENT_ANSWER,
        bfcp: SERVER,
      });
      assert.ok(!a.includes('<x>'));
    });

    it('never throws on garbage: null or absent, or the typed error for FreeSWITCH’s side', function () {
      // 500 offers of up to 30 pieces, some 70 kB long: about 3 s on a busy machine.
      this.timeout(60_000);
      const rng = new Rng(0x5d9);
      const pieces = [
        'v=0',
        'o=- 1 1 IN IP4 1.2.3.4',
        'c=IN IP4 ',
        'c=',
        'm=',
        'm=video',
        'm=video x RTP/AVP',
        'm=video 5000 RTP/AVP 96',
        'm=application 5070 UDP/BFCP *',
        'm=application 5070 TCP/BFCP',
        'm=video 1 RTP/AVP 999999999999',
        'a=content:slides',
        'a=content:',
        'a=label:',
        'a=label:12',
        'a=floorid:',
        'a=floorid:1 mstrm:',
        'a=floorid:1 mstrm:12',
        'a=floorctrl:',
        'a=setup:',
        'a=rtpmap:96',
        'a=fmtp:96',
        ' '.repeat(5000),
        '\u0000\uffff',
        'x'.repeat(70000),
      ];
      for (let i = 0; i < 500; i++) {
        const sdp = Array.from({ length: rng.int(0, 30) }, () => rng.pick(pieces)).join(rng.chance(0.5) ? '\r\n' : '\n');
        const split = splitContentOffer(sdp);
        if (split.content === null) assert.equal(split.main, sdp);
        if (split.content?.bfcp) bfcpServable(split.content.bfcp);
        hasContent(sdp);
        contentCodecs(sdp);
        splitContentAnswer(sdp, sdp);
        splitContentAnswer(sdp, CISCO_JABBER);
        const answer = buildContentAnswer({ offer: sdp, mainAnswer: FS_MAIN_ANSWER, contentAnswer: sdp, bfcp: SERVER });
        assert.equal(mLines(answer).length, sdp.split(/\r?\n/).filter((l) => l.startsWith('m=')).length, sdp.slice(0, 200));
        try {
          buildContentAnswer({ offer: CISCO_JABBER, mainAnswer: sdp, contentAnswer: sdp, bfcp: SERVER });
        } catch (e) {
          assert.ok(e instanceof ContentSdpError && e.code === 'bad-sdp', String(e));
        }
      }
    });
  });
});
