import type { EndReason } from '../../meetings/participations';
import type { DialResult } from '../dial-out/dial';

/**
 * Why the dialer calls its attempts off, passed as the abort reason of their signal: the meeting
 * ended (`Dialer.stop`) or the bridge is stopping (`Dialer.close`). It is also the end reason of a
 * call that was answered too late to join.
 */
export type DialCancelReason = Extract<EndReason, 'meeting-ended' | 'shutdown'>;

/** The reason an attempt's signal was aborted with; anything else the dialer did not send counts as the meeting ending. */
export function cancelReason(signal: AbortSignal): DialCancelReason {
  return signal.reason === 'shutdown' ? 'shutdown' : 'meeting-ended';
}

/** The result of an attempt called off by its signal; `note` says how far it had got. */
export function cancelledResult(signal: AbortSignal, r: { status?: number | null; callId?: string | null; target?: string; note?: string } = {}): DialResult {
  const why = cancelReason(signal) === 'shutdown' ? 'the bridge is stopping' : 'the meeting ended';
  return {
    outcome: 'cancelled',
    status: r.status ?? null,
    callId: r.callId ?? null,
    detail: r.note ? `${why}: ${r.note}` : why,
    ...(r.target !== undefined && { target: r.target }),
  };
}
