import type Mrf from 'drachtio-fsmrf';
import type { MediaLease, MediaServerPool } from '../../media/freeswitch/media-servers';
import type { CallRegistry } from '../call-registry';
import type { DialResult } from '../dial-out/dial';

/**
 * The start of every dial-out: a lease on the meeting's media server and a FreeSWITCH endpoint
 * with no remote SDP, whose local SDP is the offer to send the site. On failure, nothing is held.
 */
export async function dialMedia(media: MediaServerPool, calls: CallRegistry, meetingId: string): Promise<{ lease: MediaLease; endpoint: Mrf.Endpoint } | DialResult> {
  const lease = media.pick(calls.mediaServerOf(meetingId));
  if (!lease) return { outcome: 'unreachable', status: null, callId: null, detail: 'no media server is available' };
  try {
    return { lease, endpoint: await lease.ms.createEndpoint() };
  } catch (err) {
    lease.release();
    return { outcome: 'failed', status: null, callId: null, detail: `media server: ${(err as Error).message}` };
  }
}
