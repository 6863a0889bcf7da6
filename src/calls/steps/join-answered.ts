import type Mrf from 'drachtio-fsmrf';
import type { Participations } from '../../meetings/participations';
import type { Call } from '../call';
import type { DialResult } from '../sip/outbound-call';
import { joinMeeting } from './join-meeting';

/**
 * The end of every dial-out, SIP or H.323: the site answered, so FreeSWITCH gets its answer (the
 * endpoint made the offer) and the call joins the meeting. A failure here hangs the call up.
 */
export async function joinAnswered(
  call: Call,
  endpoint: Mrf.Endpoint,
  answerSdp: string,
  opts: { profile: string; muted: boolean; mediaServer: string },
  participations: Participations,
): Promise<DialResult> {
  const { callId } = call.info;
  try {
    await endpoint.modify(answerSdp);
    if (call.isClosed()) return { outcome: 'answered', status: 200, callId, detail: 'hung up at once' };
    await joinMeeting(call, endpoint, opts, participations);
    call.log.info({ memberId: call.memberId, protocol: call.info.protocol }, 'site dialled in');
    return { outcome: 'answered', status: 200, callId, detail: null };
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, 'answered but could not join');
    await call.close('media-failure');
    return { outcome: 'media-mismatch', status: 200, callId, detail: (err as Error).message };
  }
}
