/**
 * SIP final responses ↔ Q.850 cause values (the Cause IE of Release Complete), after RFC 3398
 * (ISUP–SIP mapping) §8.2.6.1 and §7.2.4.1, with the choices a video gateway needs where the
 * RFC leaves a gap: 488 ↔ 88 "incompatible destination" both ways (the RFC maps 488 only by
 * Warning header and 88 to 503, which would turn a codec mismatch into a retryable overload),
 * 487 → 16 (the request was cancelled: a normal end), 606 → 58.
 * Pure functions; the tests pin every listed value in both directions.
 */

export const Q850 = {
  unallocatedNumber: 1,
  noRouteToDestination: 3,
  normalClearing: 16,
  userBusy: 17,
  noUserResponding: 18,
  noAnswer: 19,
  callRejected: 21,
  numberChanged: 22,
  destinationOutOfOrder: 27,
  invalidNumberFormat: 28,
  normalUnspecified: 31,
  noCircuitAvailable: 34,
  networkOutOfOrder: 38,
  temporaryFailure: 41,
  bearerCapabilityNotAvailable: 58,
  serviceUnavailable: 63,
  bearerCapabilityNotImplemented: 65,
  serviceNotImplemented: 79,
  incompatibleDestination: 88,
  recoveryOnTimerExpiry: 102,
  interworking: 127,
} as const;

const SIP_TO_Q850: Readonly<Record<number, number>> = {
  400: 41,
  401: 21,
  402: 21,
  403: 21,
  404: 1,
  405: 63,
  406: 79,
  407: 21,
  408: 102,
  410: 22,
  413: 127,
  414: 127,
  415: 79,
  416: 127,
  420: 127,
  421: 127,
  423: 127,
  480: 18,
  481: 127,
  482: 127,
  483: 127,
  484: 28,
  485: 1,
  486: 17,
  487: 16,
  488: 88,
  500: 41,
  501: 79,
  502: 38,
  503: 41,
  504: 102,
  505: 127,
  513: 127,
  600: 17,
  603: 21,
  604: 1,
  606: 58,
};

/** The cause to release an H.323 call with when the SIP side ended it with `status` (2xx/BYE: 16). */
export function sipStatusToQ850(status: number): number {
  if (status < 300) return Q850.normalClearing;
  return SIP_TO_Q850[status] ?? Q850.normalUnspecified;
}

const Q850_TO_SIP: Readonly<Record<number, number>> = {
  1: 404,
  2: 404,
  3: 404,
  16: 480,
  17: 486,
  18: 408,
  19: 480,
  20: 480,
  21: 403,
  22: 410,
  23: 410,
  26: 404,
  27: 502,
  28: 484,
  29: 501,
  31: 480,
  34: 503,
  38: 503,
  41: 503,
  42: 503,
  47: 503,
  55: 403,
  57: 403,
  58: 503,
  65: 488,
  70: 488,
  79: 501,
  87: 403,
  88: 488,
  102: 504,
  111: 500,
  127: 500,
};

/**
 * The SIP final response for an H.323 call that ended with `cause` before it was answered.
 * 16 (normal clearing) becomes 480: a call that never connected did not succeed. Causes not
 * listed fall back by class: normal events 480, resource unavailable 503, the rest 500.
 */
export function q850ToSipStatus(cause: number): number {
  const listed = Q850_TO_SIP[cause];
  if (listed !== undefined) return listed;
  if (cause < 32) return 480;
  if (cause < 48) return 503;
  return 500;
}
