/**
 * Errors of the PER codec. Decoding untrusted network input must only ever fail with
 * PerDecodeError (never RangeError/TypeError), so callers can drop a bad PDU and carry on.
 */
export class PerDecodeError extends Error {
  /** Bit offset in the input where decoding failed (when known). */
  readonly bitOffset: number | undefined;
  constructor(message: string, bitOffset?: number) {
    super(bitOffset === undefined ? message : `${message} (at bit ${bitOffset})`);
    this.name = 'PerDecodeError';
    this.bitOffset = bitOffset;
  }
}

/** A value handed to the encoder does not fit its type (a programming error, not network input). */
export class PerEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PerEncodeError';
  }
}
