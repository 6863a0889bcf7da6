/** WebRTC ↔ plain RTP media relay through rtpengine (see rtpengine-pool.ts). */
export { RtpEngineError, type RtpEngineErrorKind } from './errors';
export {
  BROWSER_ANSWER_TO_FREESWITCH,
  BROWSER_OFFER_TO_FREESWITCH,
  FREESWITCH_ANSWER_TO_BROWSER,
  FREESWITCH_OFFER_TO_BROWSER,
  RELAY_FLAGS,
  isWebRtcOffer,
  type RelayHop,
} from './flags';
export { RelaySession, type MediaRelay, type NgChannel, type RelayKeys } from './relay-session';
export {
  RtpEnginePool,
  type RtpEngineInstance,
  type RtpEnginePoolOptions,
  type RtpEngineServer,
  type RtpEngineState,
} from './rtpengine-pool';
