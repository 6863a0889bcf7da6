/** Aligned PER (X.691) codec: encode/decode values described by ../asn1/types descriptors. */
export { perEncode, encodeInto } from './encode';
export { perDecode, perDecodePrefix } from './decode';
export { PerDecodeError, PerEncodeError } from './errors';
export { BitReader, BitWriter } from './bit-buffer';
export { valuesEqual } from './value-guards';
export { EXTENSION_BITMAP_LENGTH } from '../asn1/types';
