import type { MediaEndpoint, MediaLease } from '../../media/freeswitch/media-endpoint';
import type { CallPlacement } from '../cascade/cascade';
import type { DialResult } from '../dial-out/dial';

/**
 * The start of every dial-out: a lease on the media server the call goes to (the meeting's, or the
 * node the cascade places it on) and a FreeSWITCH endpoint with no remote SDP, whose local SDP is the
 * offer to send the site. On failure, nothing is held.
 */
export async function dialMedia(
  placement: CallPlacement,
  target: { meetingId: string; region?: string | null },
): Promise<{ lease: MediaLease; endpoint: MediaEndpoint } | DialResult> {
  const lease = placement.place(target.meetingId, target.region ?? null);
  if (!lease) return { outcome: 'unreachable', status: null, callId: null, detail: 'no media server is available' };
  try {
    return { lease, endpoint: await lease.createEndpoint() };
  } catch (err) {
    lease.release();
    return { outcome: 'failed', status: null, callId: null, detail: `media server: ${(err as Error).message}` };
  }
}
