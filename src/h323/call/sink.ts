/**
 * The port between the H.323 call server and whatever carries the call on (the SIP side, which
 * joins it to the room's conference). The call server speaks H.323 and knows nothing of SIP or
 * meetings; the sink knows nothing of H.323. Media never passes through either: the addresses
 * below are RTP endpoints, and RTCP is on the next port up (H.245 mediaControlChannel).
 */

export type AudioCodecName = 'PCMU' | 'PCMA' | 'G722';

export interface RtpAddress {
  readonly ip: string;
  readonly port: number;
}

export interface AudioMedia extends RtpAddress {
  readonly codec: AudioCodecName;
}

export interface VideoMedia extends RtpAddress {
  /** H.264 RTP payload type (dynamic, 96..127). */
  readonly payloadType: number;
  /** H.264 profile and level as the SDP `profile-level-id` (6 hex digits), when known. */
  readonly profileLevelId?: string;
}

export interface H323Media {
  readonly audio?: AudioMedia;
  readonly video?: VideoMedia;
}

/**
 * Where our side (FreeSWITCH) receives, and the formats it takes in its order of preference:
 * what we propose in a dial-out's fast start, or advertise and acknowledge in a slow-start call.
 */
export interface ReceiveOffer {
  readonly audio: RtpAddress & { readonly codecs: readonly AudioCodecName[] };
  /**
   * H.264, with the payload type we send it with, and the largest video bitrate the site's line
   * takes either way (H.245 maxBitRate, units of 100 bit/s); without one, the gateway's default.
   */
  readonly video?: RtpAddress & { readonly payloadType: number; readonly maxBitRate100bps?: number };
}

/**
 * Where our side (the call's content leg) receives the endpoint's content, H.264 with this payload
 * type: with it in the answer, the call advertises H.239 and takes a presentation channel.
 */
export interface ContentReceive extends RtpAddress {
  readonly payloadType: number;
  /** The site's video limit (H.245 maxBitRate, units of 100 bit/s); without one, the gateway's default. */
  readonly maxBitRate100bps?: number;
}

export interface H323CallOffer {
  /** The H.225 call identifier (GUID as 8-4-4-4-12 hex), unique while the call lasts. */
  readonly callId: string;
  readonly room: number;
  /** PIN dialled inline (`2001*1234` / `2001#1234`), else null. */
  readonly pin: string | null;
  /** The caller's first alias (h323-ID or dialled digits, as it sent them), else its calling number. */
  readonly callerAlias: string | null;
  /** Display name (Q.931 Display IE), if the endpoint sent one. */
  readonly callerName: string | null;
  /** Where the call signalling connection came from. */
  readonly source: RtpAddress;
  /**
   * Fast start: where the H.323 endpoint receives RTP, and in which format (from its proposals).
   * Slow start (no fastStart in the Setup): null, and the sink answers `open-channels`.
   */
  readonly media: H323Media | null;
}

export type H323CallAnswer =
  /**
   * Where the sink receives RTP from the endpoint; codec (and video) must be among those offered.
   * `videoMaxBitRate100bps`: the largest video bitrate the site's line takes either way (H.245
   * maxBitRate, units of 100 bit/s), for our capability set and the fast-start channels we accept;
   * without one, the gateway's default and the caller's proposals hold.
   */
  | { readonly kind: 'answer'; readonly media: H323Media; readonly videoMaxBitRate100bps?: number; readonly content?: ContentReceive }
  /**
   * Slow start: connect, and open logical channels over H.245 towards `receive`; the endpoint's
   * own addresses come later through channelsOpen().
   */
  | { readonly kind: 'open-channels'; readonly receive: ReceiveOffer; readonly content?: ContentReceive }
  | { readonly kind: 'reject'; readonly sipStatus: number; readonly reason: string };

export interface H323HangupInfo {
  /** Q.850 cause the endpoint released with; null when the connection was lost or timed out. */
  readonly cause: number | null;
  readonly reason: string;
}

export interface H323CallSink {
  /** A new call to a room. May take as long as the SIP side needs (bounded by the server's answer timeout). */
  offer(call: H323CallOffer): Promise<H323CallAnswer>;
  /**
   * The H.323 side ended a call that was offered (also while offer() is still pending: treat it as
   * a CANCEL) and that the sink itself had not rejected or released. Called at most once per call.
   */
  hangup(callId: string, info: H323HangupInfo): void;
  /**
   * Slow start: the endpoint's receive addresses and the formats to send it, each time the
   * channels we transmit on change (first with audio; again if video opens later).
   */
  channelsOpen(callId: string, media: H323Media): void;
  /** The endpoint asks for a keyframe of the video we send it (H.245 videoFastUpdatePicture). */
  keyframeRequest(callId: string): void;
  /** Content (H.239) of calls answered with `content`; without it no call gets a presentation channel. */
  readonly content?: H323ContentSink;
}

/**
 * The H.239 side of calls answered with `content`: the presentation token mapped to the meeting's
 * floor, and the presentation channels' media. The call server's content methods go the other way.
 */
export interface H323ContentSink {
  /**
   * The endpoint asks for the presentation token. `queued`: it waits for the floor, and the answer
   * follows through H323CallServer.grantToken (or revokeToken).
   */
  tokenRequest(callId: string): 'granted' | 'refused' | 'queued';
  /** The endpoint gave the token back (or stopped waiting for it). */
  tokenReleased(callId: string): void;
  /** The endpoint's capability set says whether it does H.239 (each time one arrives). */
  contentCapable(callId: string, capable: boolean): void;
  /**
   * The endpoint sends content on its presentation channel, in this format (its payload type, and
   * H.264 profile and level as a profile-level-id when it said), to the `content` address.
   */
  contentFromEndpoint(callId: string, format: ContentFormat): void;
  /** The presentation channel we opened (H323CallServer.sendContent) is acknowledged: the endpoint receives content here. */
  contentToEndpoint(callId: string, media: VideoMedia): void;
  /** A presentation channel closed (`from`: the endpoint's; `to`: ours, closed or refused by the endpoint). */
  contentClosed(callId: string, direction: 'from' | 'to'): void;
  /** The endpoint asks for a keyframe of the content we send it. */
  contentKeyframeRequest(callId: string): void;
}

/**
 * The bridge's handle on one call's H.239 (H323CallServer.content): content toward the endpoint
 * and the token. Each does nothing once the call is over.
 */
export interface H323CallContent {
  /** Opens our presentation channel (the bridge has content for the endpoint); false when it takes none. */
  send(): boolean;
  /** Closes it. */
  stop(): void;
  /** A queued token request got the floor: it is acknowledged. */
  grantToken(): void;
  /** The floor left the endpoint: presentationTokenRelease (or the reject its waiting request is owed). */
  revokeToken(): void;
  /** Asks the endpoint for a keyframe of the content it presents; false when it presents on no channel. */
  requestKeyframe(): boolean;
}

export interface ContentFormat {
  readonly payloadType?: number;
  readonly profileLevelId?: string;
}

/** How the sink ends a call (H323CallServer.release): a SIP status, mapped to Q.850, or a cause. */
export type ReleaseWhy = { readonly sipStatus: number } | { readonly cause: number };
