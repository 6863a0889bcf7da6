import type { MediaEndpoint, MediaLease, MediaPool } from '../../media/freeswitch/media-endpoint';
import type { CallRegistry } from '../call-registry';
import type { DialResult } from '../dial-out/dial';

/**
 * The start of every dial-out: a lease on the meeting's media server and a FreeSWITCH endpoint
 * with no remote SDP, whose local SDP is the offer to send the site. On failure, nothing is held.
 */
export async function dialMedia(
  media: Pick<MediaPool, 'pick'>,
  calls: CallRegistry,
  meetingId: string,
): Promise<{ lease: MediaLease; endpoint: MediaEndpoint } | DialResult> {
  const lease = media.pick(calls.mediaServerOf(meetingId));
  if (!lease) return { outcome: 'unreachable', status: null, callId: null, detail: 'no media server is available' };
  try {
    return { lease, endpoint: await lease.createEndpoint() };
  } catch (err) {
    lease.release();
    return { outcome: 'failed', status: null, callId: null, detail: `media server: ${(err as Error).message}` };
  }
}
