/** Malformed TPKT or Q.931 input: the only error the Q.931/TPKT decoders throw. */
export class Q931DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Q931DecodeError';
  }
}
