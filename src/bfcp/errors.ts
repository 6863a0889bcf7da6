import type { ErrorCodeValue } from './constants';
import type { BfcpHeader } from './message';

/**
 * The only error decoding throws. `errorCode` is what a floor control server answers with (RFC 8855
 * §13.1 and the error registry); `header` is set when the common header was readable, so the answer
 * can carry the request's conference, transaction and user ids.
 */
export class BfcpDecodeError extends Error {
  override readonly name = 'BfcpDecodeError';
  constructor(
    readonly reason: string,
    readonly errorCode: ErrorCodeValue,
    readonly header?: BfcpHeader,
    /** For Unknown Mandatory Attribute: the attribute types not understood. */
    readonly unknownAttributes: readonly number[] = [],
  ) {
    super(`BFCP: ${reason}`);
  }
}

/** A message that cannot be put on the wire (a value out of range, a grouped attribute over 255 octets). */
export class BfcpEncodeError extends Error {
  override readonly name = 'BfcpEncodeError';
}
