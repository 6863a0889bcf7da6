import type { Site } from '../directory/site.entity';
import type { Logger } from '../log';
import type { CreateEndpointOptions, MediaEndpoint, MediaLease } from '../media/freeswitch/media-endpoint';
import type { Meeting } from '../meetings/meeting.entity';
import type { RoomBookings } from '../meetings/room-bookings';
import { decideAdmission, type Admission, type AdmissionPolicy } from './admission';
import type { Call, CallInfo } from './call';
import type { CallRegistry } from './call-registry';
import type { CallPlacement } from './cascade/cascade';
import { deviceProfile, type DeviceProfile } from './device-profile';

/**
 * The way in every ingress shares, once it has read its protocol: a protocol-neutral incoming call
 * is admitted (or refused with a status and a reason), gets a media server and a Call, then a
 * FreeSWITCH endpoint for its offer. The ingress answers in its own protocol in between and ends
 * with joinMeeting (steps/join-meeting.ts), as dial-out does.
 */

export interface IncomingCall {
  callId: string;
  protocol: CallInfo['protocol'];
  dialled: { room: number; pin: string | null };
  /** `ip:port` the call came from. */
  source: string;
  /** A directory site, by credentials, gatekeeper registration or source network; null for a guest. */
  site: Site | null;
  /** A browser guest's name from a valid join token (the join API checked the PIN). */
  tokenName: string | null;
  /** What the caller calls itself (From display name, H.323 display or alias). */
  displayName: string | null;
  /** Whether the ingress can ask for a PIN on the keypad after answering. */
  canCollectPin: boolean;
  bookings: RoomBookings;
  at: Date;
}

export interface Refusal {
  kind: 'refused';
  status: number;
  phrase: string;
  why: string;
  /** Seconds, for a refusal that may pass (503). */
  retryAfter?: number;
}

export interface AdmittedCall {
  kind: 'admitted';
  call: Call;
  lease: MediaLease;
  meeting: Meeting;
  decision: Admission;
  /** The site's room-system profile; null for guests and for a site signed in from a browser. */
  device: DeviceProfile | null;
}

export interface IncomingDeps {
  calls: CallRegistry;
  /** Which FreeSWITCH the call goes to (the engine's placement). */
  placement: CallPlacement;
  policy: AdmissionPolicy;
}

export const refusal = (status: number, phrase: string, why: string, retryAfter?: number): Refusal => ({
  kind: 'refused',
  status,
  phrase,
  why,
  ...(retryAfter !== undefined && { retryAfter }),
});

/** The meeting's rules for this caller; no resources are taken. */
export function admit(deps: IncomingDeps, incoming: IncomingCall): Refusal | { kind: 'admit'; decision: Admission; meeting: Meeting } {
  const { bookings } = incoming;
  const meeting = bookings.current?.meeting;
  const state = meeting ? deps.calls.roomState(meeting.id) : { locked: false, participants: 0 };
  const decision = decideAdmission(
    incoming.at,
    incoming.dialled,
    bookings,
    { siteId: incoming.site?.id ?? null, joinToken: incoming.tokenName !== null },
    state,
    deps.policy,
  );
  if (decision.kind === 'reject') return refusal(decision.status, decision.phrase, decision.why);
  // e.g. H.323: keypad digits arrive as H.245 user input, which the prompt cannot hear.
  if (decision.pin === 'collect' && !incoming.canCollectPin) return refusal(403, 'Forbidden', 'dial the room with its PIN, e.g. 2001*1234');
  return { kind: 'admit', decision, meeting: meeting! };
}

/**
 * Leases a media server for the call (the meeting's, or the node the cascade places it on) and
 * registers the Call; from here every failure goes through Call.close.
 */
export function startCall(
  deps: IncomingDeps,
  incoming: IncomingCall,
  admitted: { decision: Admission; meeting: Meeting },
  log: Logger,
): AdmittedCall | Refusal {
  const { decision } = admitted;
  const { site } = incoming;
  const lease = deps.placement.place(decision.meetingId, site?.region ?? null);
  if (!lease) return refusal(503, 'Service Unavailable', 'no media server is available', 10);
  const call = deps.calls.start(
    {
      callId: incoming.callId,
      meetingId: decision.meetingId,
      siteId: site?.id ?? null,
      displayName: site?.name ?? incoming.tokenName ?? incoming.displayName ?? 'Khách',
      source: incoming.source,
      moderator: decision.moderator,
      protocol: incoming.protocol,
      direction: 'in',
    },
    log,
  );
  // The profile describes the site's room system; a site signed in from a browser is not it.
  const device = incoming.protocol === 'webrtc' ? null : deviceProfile(site);
  return { kind: 'admitted', call, lease, meeting: admitted.meeting, decision, device };
}

/**
 * A FreeSWITCH endpoint for the call's offer (or FreeSWITCH's own offer, without one), attached to
 * the call. Refused with 488 when FreeSWITCH will not take the offer; the call is closed then.
 */
export async function openEndpoint(admitted: AdmittedCall, options: CreateEndpointOptions): Promise<MediaEndpoint | Refusal> {
  const { call, lease } = admitted;
  let endpoint: MediaEndpoint;
  try {
    endpoint = await lease.createEndpoint(options);
  } catch (err) {
    lease.release();
    await call.close('media-failure');
    return refusal(488, 'Not Acceptable Here', `the media server refused the offer: ${(err as Error).message}`);
  }
  call.attachMedia(lease, endpoint);
  return endpoint;
}
