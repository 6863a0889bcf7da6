/**
 * The JSON the public join API speaks, as plain types: the browser page (src/web, bundled
 * separately with the DOM lib) imports this file too, so page and server cannot drift apart.
 * No imports here — it must compile in both worlds.
 */

export type JoinStatus = 'open' | 'not-open-yet' | 'ended' | 'cancelled';

/** `GET /api/v1/join/{room}`: the meeting open now in the room, else the next or the last one. */
export interface JoinInfo {
  room: number;
  title: string;
  startsAt: string;
  endsAt: string;
  /** When callers may join: `openBefore` ahead of `startsAt`. */
  opensAt: string;
  status: JoinStatus;
  hasPin: boolean;
  allowGuests: boolean;
  sipUri: string;
  /** The first WebSocket server of the bridge; absent when browser join is not configured. */
  wsUri?: string;
}

/** `POST /api/v1/join/{room}/token` body. */
export interface JoinTokenRequest {
  name: string;
  pin?: string;
}

/** The shape of an RTCIceServer, without needing the DOM lib on the server. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** `POST /api/v1/join/{room}/token` 201 answer: everything the page needs to place the call. */
export interface JoinTicket {
  /** Sent in the INVITE as `X-Join-Token`. */
  token: string;
  expiresAt: string;
  /** `sip:<room>@<SIP_DOMAIN>` */
  sipUri: string;
  /** WebSocket servers (drachtio) to try in order. */
  wsServers: string[];
  /** Empty unless configured: no public STUN server is ever used by default. */
  iceServers: IceServer[];
  /** The name as the bridge will show it (NFC, trimmed). */
  displayName: string;
  /** Reads the meeting's documents (`?pass=`) until an hour after its end; see `DocumentPass`. */
  documentsPass: string;
}

/** `POST /api/v1/join/{room}/site-pass` body: a site's SIP credentials from the directory. */
export interface SitePassRequest {
  username: string;
  password: string;
}

/** A pass to read a meeting's documents from the join page: with a guest's ticket, or for a signed-in site. */
export interface DocumentPass {
  pass: string;
  expiresAt: string;
  /** Who it was issued to: the guest's name, or the site's. */
  holder: string;
}

/** One of the meeting's documents, as the join page lists it. */
export interface JoinDocument {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  uploadedAt: string;
}

/**
 * Why a join request was refused, carried as `reason` in the problem+json body so the page can
 * say it in the user's language without parsing English `detail`.
 */
export type JoinRefusal =
  | 'no-meeting'
  | 'not-open-yet'
  | 'ended'
  | 'cancelled'
  | 'guests-not-allowed'
  | 'pin-required'
  | 'wrong-pin'
  | 'too-many-attempts'
  | 'not-configured'
  | 'wrong-credentials'
  | 'not-invited';

/** The INVITE header that carries the token: the contract with the SIP side. */
export const JOIN_TOKEN_HEADER = 'X-Join-Token';
