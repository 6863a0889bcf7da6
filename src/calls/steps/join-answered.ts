import type { Logger } from '../../log';
import type { MediaEndpoint, MediaLease } from '../../media/freeswitch/media-endpoint';
import type { Participations } from '../../meetings/participations';
import type { Call, CallInfo } from '../call';
import type { CallRegistry } from '../call-registry';
import { cancelReason, cancelledResult } from '../dial-out/cancel';
import type { DialResult, DialTarget } from '../dial-out/dial';
import type { DeviceProfile } from '../device-profile';
import { joinMeeting } from './join-meeting';

/** An answered dial-out becomes a Call that owns its media: the same record for SIP and H.323. */
export function startAnswered(
  calls: CallRegistry,
  target: DialTarget,
  answered: { callId: string; protocol: CallInfo['protocol']; source: string },
  media: { lease: MediaLease; endpoint: MediaEndpoint },
  log: Logger,
): Call {
  const call = calls.start(
    {
      callId: answered.callId,
      meetingId: target.meetingId,
      siteId: target.siteId,
      displayName: target.name,
      source: answered.source,
      moderator: target.moderator,
      protocol: answered.protocol,
      direction: 'out',
    },
    log,
  );
  call.attachMedia(media.lease, media.endpoint);
  return call;
}

/**
 * The end of every dial-out, SIP or H.323: the site answered, so FreeSWITCH gets its answer (the
 * endpoint made the offer) and the call joins the meeting. A failure here hangs the call up.
 *
 * `signal` is the attempt's: aborted before the call is in the conference (the meeting ended as
 * the site answered), the call is closed — BYE or Release Complete, endpoint and lease released by
 * the teardown — and the attempt ends `cancelled`. Once joined, the meeting's own end closes it.
 */
export async function joinAnswered(
  call: Call,
  endpoint: MediaEndpoint,
  answerSdp: string,
  opts: { profile: string; muted: boolean; mediaServer: string; device?: DeviceProfile | null; signal?: AbortSignal },
  participations: Pick<Participations, 'open' | 'close'>,
): Promise<DialResult> {
  const { callId } = call.info;
  const { signal } = opts;
  const calledOff = async (s: AbortSignal): Promise<DialResult> => {
    call.log.info({ reason: cancelReason(s) }, 'answered as the attempt was called off: hanging up');
    await call.close(cancelReason(s));
    return cancelledResult(s, { status: 200, callId, note: 'answered too late, hung up' });
  };
  if (signal?.aborted) return calledOff(signal);
  const onAbort = (): void => void call.close(cancelReason(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  // Which side failed: FreeSWITCH refusing the site's answer is a mismatch; failing to join is ours.
  let stage: 'answer' | 'join' = 'answer';
  try {
    await endpoint.modify(answerSdp);
    stage = 'join';
    if (signal?.aborted) return await calledOff(signal);
    if (call.isClosed()) return { outcome: 'answered', status: 200, callId, detail: 'hung up at once' };
    await joinMeeting(call, endpoint, opts, participations);
    // Closed by the abort before joined() could count it in: no one is in the meeting.
    if (signal?.aborted && call.isClosed() && call.joinedAt === null) return await calledOff(signal);
    call.log.info({ memberId: call.memberId, protocol: call.info.protocol }, 'site dialled in');
    return { outcome: 'answered', status: 200, callId, detail: null };
  } catch (err) {
    // The teardown our abort started cut the join short: that is the cancel, not a media problem.
    if (signal?.aborted) return await calledOff(signal);
    call.log.warn({ err: (err as Error).message }, 'answered but could not join');
    await call.close('media-failure');
    return { outcome: stage === 'answer' ? 'media-mismatch' : 'bridge-error', status: 200, callId, detail: (err as Error).message };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
