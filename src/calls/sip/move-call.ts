import type { MediaEndpoint } from '../../media/freeswitch/media-endpoint';
import type { Participations } from '../../meetings/participations';
import type { Call } from '../call';
import type { CallPlacement } from '../cascade/cascade';
import type { CallRegistry } from '../call-registry';
import type { InFlight } from '../in-flight';
import type { SipKeyframes } from '../keyframes';
import { applyProfile, type DeviceProfile } from '../device-profile';
import { withTimeout } from '../../timeout';
import { joinMeeting } from '../steps/join-meeting';
import { answerForFreeswitch, movedOffer } from './moved-offer';
import { RoomContent, type SipContent } from './room-content';
import type { SipDialog } from './srf-types';

/** A move (a new endpoint, the caller's answer to the re-INVITE, the join) that takes longer ends the call. */
const MOVE_TIMEOUT_MS = 15_000;

/** What a move needs of the bridge: the SIP ingress's own dependencies, dial-in or dial-out. */
export interface MoveDeps {
  placement: CallPlacement;
  calls: Pick<CallRegistry, 'mediaServerOf'>;
  conferenceProfile: string;
  participations: Pick<Participations, 'open' | 'close'>;
  /** null where the bridge offers no content. */
  content: SipContent | null;
  /** The bridge's call set-ups in flight (`DIAL_CONCURRENCY`): a node's calls move a few at a time. */
  setups: Pick<InFlight, 'run'>;
}

/** The call as its ingress set it up. */
export interface SipMedia {
  dialog: SipDialog;
  device: DeviceProfile | null;
  /** The site's region, for placement; null for a guest. */
  region: string | null;
  /** The call had content lines: the re-offer has them again, with a new content leg and BFCP user. */
  withContent: boolean;
  /** A room system's keyframe requests (null for a browser: RTCP through rtpengine carries them). */
  keyframes: SipKeyframes | null;
  /** The new endpoint and content, for what else the ingress wired to the first ones. */
  onMoved?(endpoint: MediaEndpoint, content: RoomContent | null): void;
}

/**
 * A SIP call whose media server died moves without hanging up (docs/scale.md, "Failover"): a
 * FreeSWITCH on a server that is left makes an offer (3PCC, as a dial-out does, with the content and
 * BFCP lines a dial-out has when the call had them; through the call's rtpengine session for a
 * browser), the caller gets it in a re-INVITE on the dialog it has, FreeSWITCH gets the answer, and
 * the call joins its meeting there — still muted if it was.
 * A failure throws; the call then ends as it did before moves existed.
 */
export function moveSipCall(call: Call, deps: MoveDeps, m: SipMedia): Promise<void> {
  // The wait for a turn is not counted: a node's last calls may queue behind hundreds.
  return deps.setups.run(() => withTimeout(move(call, deps, m), MOVE_TIMEOUT_MS, `not moved within ${MOVE_TIMEOUT_MS} ms`));
}

async function move(call: Call, deps: MoveDeps, m: SipMedia): Promise<void> {
  if (call.isClosed()) return;
  const { meetingId } = call.info;
  const lease = deps.placement.place(meetingId, m.region);
  if (!lease) throw new Error('no media server is left');
  let endpoint: MediaEndpoint;
  try {
    endpoint = await lease.createEndpoint();
  } catch (err) {
    lease.release();
    throw err;
  }
  // The call's teardown owns both from here, whatever happens next.
  call.attachMedia(lease, endpoint);
  const main = applyProfile(endpoint.localSdp, m.device);
  // A browser's rtpengine session stays: FreeSWITCH's side of it is offered anew, the browser's keeps its ICE and DTLS.
  const relay = call.relay;
  const toCaller = relay ? await relay.reofferFromFreeswitch(main) : main;
  const outgoing =
    m.withContent && deps.content ? await RoomContent.offer(deps.content, deps.calls.mediaServerOf(meetingId) ?? lease.serverId, meetingId, main) : null;
  try {
    const offer = movedOffer(m.dialog.local.sdp, outgoing?.sdp ?? toCaller);
    const answer = answerForFreeswitch(await m.dialog.modify(offer.sdp), offer);
    const answered = outgoing ? await outgoing.answered(call, answer) : null;
    const forFreeswitch = relay ? await relay.reanswerFromBrowser(answer) : (answered?.main ?? answer);
    await endpoint.modify(applyProfile(forFreeswitch, m.device));
    m.keyframes?.moved(endpoint);
    const leg = answered?.room.leg;
    if (leg) m.keyframes?.alsoFor((toRoom) => leg.relayKeyframes(toRoom));
    m.onMoved?.(endpoint, answered?.room ?? null);
    await joinMeeting(
      call,
      endpoint,
      { profile: deps.conferenceProfile, muted: call.muted, mediaServer: lease.serverId, device: m.device },
      deps.participations,
    );
    await answered?.room.joined();
  } finally {
    await outgoing?.abandon();
  }
}
