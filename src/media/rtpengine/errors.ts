/**
 * Why an rtpengine request failed:
 * - `error`: rtpengine answered `result: error` (its `error-reason` is in `reason`);
 * - `timeout`: no answer in time (daemon down, or overloaded);
 * - `transport`: the UDP send failed;
 * - `protocol`: an answer we can't use (e.g. an offer reply without SDP, or `load limit`);
 * - `closed`: the session was already deleted, or the pool closed.
 */
export type RtpEngineErrorKind = 'error' | 'timeout' | 'transport' | 'protocol' | 'closed';

/** Every failure out of the rtpengine pool and its sessions, typed so callers can map it to a SIP status. */
export class RtpEngineError extends Error {
  constructor(
    readonly kind: RtpEngineErrorKind,
    /** the ng command, e.g. 'offer' */
    readonly command: string,
    /** the instance, 'host:port' */
    readonly instance: string,
    /** rtpengine's error-reason, or our own description */
    readonly reason: string,
  ) {
    super(`rtpengine ${instance} ${command}: ${reason}`);
    this.name = 'RtpEngineError';
  }
}
