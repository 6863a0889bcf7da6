/** BFCP (RFC 8855) messages on the wire: the public face of the codec modules. */
export { unknownAttributeDetails, encodeBfcp } from './encode';
export { decodeBfcp, decodeHeader } from './decode';
export { BfcpStreamFramer } from './framer';
export { BfcpDecodeError, BfcpEncodeError } from './errors';
export * from './constants';
export type * from './message';
