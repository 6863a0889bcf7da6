import type { NgDictionary } from 'rtpengine-client';

/**
 * The ng parameters rtpengine 10.5 needs to turn WebRTC media (ICE, DTLS-SRTP, rtcp-mux, BUNDLE)
 * into the plain RTP FreeSWITCH mixes, and back. Pure data: the session (relay-session.ts) adds
 * call-id, tags and SDP. Every set was checked against the daemon on this machine (see
 * test/media/rtpengine.test.ts and STACK-NOTES.md).
 *
 * Two findings the sets depend on:
 * - `SDES` is a *list* in the ng protocol. The string `'off'` is silently ignored: an offer toward the
 *   browser then still carries a=crypto lines. Always `['off']`.
 * - 10.5 answers un-bundled (its own port per m-line, no a=group:BUNDLE), so the browser must keep
 *   `bundlePolicy: 'balanced'`; `max-bundle` would drop the video m-line.
 */

/** Everything that leaves rtpengine toward FreeSWITCH: plain RTP/AVP, separate RTCP, no ICE. */
const TOWARD_FREESWITCH = {
  'transport-protocol': 'RTP/AVP',
  DTLS: 'off',
  SDES: ['off'],
  ICE: 'remove',
  // FreeSWITCH gets RTCP on its own port (a=rtcp:), as a plain SIP endpoint expects.
  'rtcp-mux': ['demux'],
  // o= and the session c= must name rtpengine, not the browser (whose addresses FreeSWITCH can't reach).
  replace: ['origin', 'session-connection'],
  // Chrome's header extensions (abs-send-time, transport-cc, mid…) mean nothing to FreeSWITCH.
  flags: ['strip-extmap'],
} as const satisfies NgDictionary;

/** An answer toward the browser: what a WebRTC peer insists on. */
const ANSWER_TOWARD_BROWSER = {
  'transport-protocol': 'UDP/TLS/RTP/SAVPF',
  // FreeSWITCH's SDP has no ICE; rtpengine must add its own credentials and candidates.
  ICE: 'force',
  // browsers' default rtcpMuxPolicy is 'require': RTCP must share the RTP port.
  'rtcp-mux': ['require'],
  // FreeSWITCH sends no a=mid; the browser needs one per m-line to match its transceivers.
  flags: ['generate mid'],
} as const satisfies NgDictionary;

/**
 * An offer toward the browser (a re-INVITE from FreeSWITCH): as the answer set, and SDES off, or
 * rtpengine offers SDES a=crypto lines beside DTLS (which the answer direction never does).
 */
const OFFER_TOWARD_BROWSER = {
  ...ANSWER_TOWARD_BROWSER,
  SDES: ['off'],
} as const satisfies NgDictionary;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Initial INVITE (or the browser's re-INVITE): the browser's offer, rewritten for FreeSWITCH. */
export const BROWSER_OFFER_TO_FREESWITCH = deepFreeze({ ...TOWARD_FREESWITCH });
/** FreeSWITCH's answer to that, rewritten for the browser. */
export const FREESWITCH_ANSWER_TO_BROWSER = deepFreeze({ ...ANSWER_TOWARD_BROWSER });
/** A re-INVITE from FreeSWITCH: its offer, rewritten for the browser. */
export const FREESWITCH_OFFER_TO_BROWSER = deepFreeze({ ...OFFER_TOWARD_BROWSER });
/** The browser's answer to that, rewritten for FreeSWITCH. */
export const BROWSER_ANSWER_TO_FREESWITCH = deepFreeze({ ...TOWARD_FREESWITCH });

/** The four SDP hops a relay session makes, each with its parameter set. */
export type RelayHop = 'browser-offer' | 'freeswitch-answer' | 'freeswitch-offer' | 'browser-answer';

export const RELAY_FLAGS: Readonly<Record<RelayHop, NgDictionary>> = Object.freeze({
  'browser-offer': BROWSER_OFFER_TO_FREESWITCH,
  'freeswitch-answer': FREESWITCH_ANSWER_TO_BROWSER,
  'freeswitch-offer': FREESWITCH_OFFER_TO_BROWSER,
  'browser-answer': BROWSER_ANSWER_TO_FREESWITCH,
});

const WEBRTC_PROTO = /^m=\S+ \d+(?:\/\d+)? (?:UDP|TCP)\/TLS\/RTP\/SAVPF?(?:\s|$)/im;
const WEBRTC_ATTR = /^a=(?:ice-ufrag|fingerprint):/im;

/**
 * Whether an SDP comes from a WebRTC peer (and so needs rtpengine before FreeSWITCH): a DTLS
 * transport (UDP/TLS/RTP/SAVPF) on any m-line, or ICE credentials, or a DTLS fingerprint.
 */
export function isWebRtcOffer(sdp: string): boolean {
  return WEBRTC_PROTO.test(sdp) || WEBRTC_ATTR.test(sdp);
}
