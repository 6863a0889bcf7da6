/**
 * The H.323 gateway's public surface: what the application wires in (server.ts) and what the SIP
 * side implements. Everything else under src/h323 (PER codec, descriptors, Q.931, message
 * builders, fast-start and H.245 internals) stays private to this tree.
 */
export { startGatekeeper, type Gatekeeper, type GatekeeperOptions } from './ras/gatekeeper';
export type { AliasDirectory, DirectorySite } from './ras/directory';
export type { Registration } from './ras/registrations';
export { startCallServer, type H323CallServer, type CallServerOptions } from './call/call-server';
export type {
  AudioCodecName,
  AudioMedia,
  ContentFormat,
  ContentReceive,
  H323CallContent,
  H323ContentSink,
  H323CallAnswer,
  H323CallOffer,
  H323CallSink,
  H323HangupInfo,
  H323Media,
  ReceiveOffer,
  ReleaseWhy,
  RtpAddress,
  VideoMedia,
} from './call/sink';
export { Q850, q850ToSipStatus, sipStatusToQ850 } from './call/cause';
export type { IpPort } from './messages/common';
export { placeH323, type AnsweredCall, type FailedCall, type OutgoingCallOptions, type OutgoingResult } from './call/outgoing';
