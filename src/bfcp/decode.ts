import {
  AttributeSet,
  parseError,
  readAttributes,
  readFloorRequestInformation,
  readOptional,
  readPriority,
  readText,
  readUint16,
  readUserInformation,
} from './attributes';
import { AttributeType, ErrorCode, FRAGMENT_HEADER_BYTES, HEADER_BYTES, PRIMITIVE_NAMES, type PrimitiveName } from './constants';
import { BfcpDecodeError } from './errors';
import type { BfcpBody, BfcpHeader, BfcpMessage } from './message';

/**
 * Reads the common header; checks the version, the F bit and that the octets match the payload
 * length exactly. Throws BfcpDecodeError (with the header when it was readable).
 */
export function decodeHeader(b: Uint8Array): BfcpHeader {
  if (b.length < HEADER_BYTES) throw new BfcpDecodeError(`${b.length} octets is shorter than the common header`, ErrorCode.IncorrectMessageLength);
  const version = b[0]! >> 5;
  const fragmented = (b[0]! & 0x08) !== 0;
  const header: BfcpHeader = {
    version: version === 1 ? 1 : 2,
    responder: (b[0]! & 0x10) !== 0,
    primitive: b[1]!,
    payloadBytes: ((b[2]! << 8) | b[3]!) * 4,
    conferenceId: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    transactionId: (b[8]! << 8) | b[9]!,
    userId: (b[10]! << 8) | b[11]!,
  };
  if (version !== 1 && version !== 2) throw new BfcpDecodeError(`unsupported version ${version}`, ErrorCode.UnsupportedVersion, header);
  if (!fragmented) {
    if (b.length !== HEADER_BYTES + header.payloadBytes) {
      throw new BfcpDecodeError(`${b.length} octets but the header says ${HEADER_BYTES + header.payloadBytes}`, ErrorCode.IncorrectMessageLength, header);
    }
    return header;
  }
  if (version === 1) throw parseError('F bit set over a reliable transport (version 1)', header);
  if (b.length < FRAGMENT_HEADER_BYTES) throw new BfcpDecodeError('truncated fragment header', ErrorCode.IncorrectMessageLength, header);
  const fragment = { offsetBytes: ((b[12]! << 8) | b[13]!) * 4, lengthBytes: ((b[14]! << 8) | b[15]!) * 4 };
  const withFragment: BfcpHeader = { ...header, fragment };
  if (b.length !== FRAGMENT_HEADER_BYTES + fragment.lengthBytes) {
    throw new BfcpDecodeError('fragment length does not match the datagram', ErrorCode.IncorrectMessageLength, withFragment);
  }
  if (fragment.offsetBytes + fragment.lengthBytes > header.payloadBytes) throw parseError('fragment beyond the message', withFragment);
  return withFragment;
}

/** A whole message. Strict: the only exception it throws is BfcpDecodeError. */
export function decodeBfcp(b: Uint8Array): BfcpMessage {
  const header = decodeHeader(b);
  // Our own messages fit one datagram, and a client's requests are a few dozen octets: a fragmented
  // request is refused rather than reassembled.
  if (header.fragment) throw parseError('fragmented messages are not accepted', header);
  const name = PRIMITIVE_NAMES.get(header.primitive);
  if (!name) throw new BfcpDecodeError(`unknown primitive ${header.primitive}`, ErrorCode.UnknownPrimitive, header);
  const set = new AttributeSet(readAttributes(b, HEADER_BYTES, b.length, header), header, name);
  const body = decodeBody(name, set);
  set.finish();
  return {
    version: header.version,
    responder: header.responder,
    conferenceId: header.conferenceId,
    transactionId: header.transactionId,
    userId: header.userId,
    ...body,
  };
}

function decodeBody(primitive: PrimitiveName, set: AttributeSet): BfcpBody {
  const A = AttributeType;
  const h = set.header;
  const u16 = (type: number): number | undefined => readOptional(set.one(type), readUint16, h);
  switch (primitive) {
    case 'FloorRequest': {
      const floorIds = set.many(A.FloorId).map((a) => readUint16(a, h));
      if (floorIds.length === 0) throw parseError('FloorRequest without FLOOR-ID', h);
      const beneficiaryId = u16(A.BeneficiaryId);
      const participantProvidedInfo = readOptional(set.one(A.ParticipantProvidedInfo), readText, h);
      const priority = readOptional(set.one(A.Priority), readPriority, h);
      return {
        primitive,
        floorIds,
        ...(beneficiaryId !== undefined && { beneficiaryId }),
        ...(participantProvidedInfo !== undefined && { participantProvidedInfo }),
        ...(priority !== undefined && { priority }),
      };
    }
    case 'FloorRelease':
    case 'FloorRequestQuery':
      return { primitive, floorRequestId: readUint16(set.required(A.FloorRequestId), h) };
    case 'FloorRequestStatus':
    case 'ChairAction':
      return { primitive, floorRequestInformation: readFloorRequestInformation(set.required(A.FloorRequestInformation), h) };
    case 'UserQuery': {
      const beneficiaryId = u16(A.BeneficiaryId);
      return { primitive, ...(beneficiaryId !== undefined && { beneficiaryId }) };
    }
    case 'UserStatus': {
      const beneficiary = readOptional(set.one(A.BeneficiaryInformation), readUserInformation, h);
      const floorRequests = set.many(A.FloorRequestInformation).map((a) => readFloorRequestInformation(a, h));
      return { primitive, ...(beneficiary && { beneficiary }), floorRequests };
    }
    case 'FloorQuery':
      return { primitive, floorIds: set.many(A.FloorId).map((a) => readUint16(a, h)) };
    case 'FloorStatus': {
      const floorId = u16(A.FloorId);
      const floorRequests = set.many(A.FloorRequestInformation).map((a) => readFloorRequestInformation(a, h));
      return { primitive, ...(floorId !== undefined && { floorId }), floorRequests };
    }
    case 'HelloAck':
      return {
        primitive,
        supportedPrimitives: [...set.required(A.SupportedPrimitives).content],
        supportedAttributes: [...set.required(A.SupportedAttributes).content].map((o) => o >> 1),
      };
    case 'Error': {
      const code = set.required(A.ErrorCode).content;
      if (code.length < 1) throw parseError('ERROR-CODE without a code', h);
      const errorInfo = readOptional(set.one(A.ErrorInfo), readText, h);
      return {
        primitive,
        errorCode: code[0]!,
        ...(code.length > 1 && { errorDetails: code.slice(1) }),
        ...(errorInfo !== undefined && { errorInfo }),
      };
    }
    case 'ChairActionAck':
    case 'Hello':
    case 'FloorRequestStatusAck':
    case 'FloorStatusAck':
    case 'Goodbye':
    case 'GoodbyeAck':
      return { primitive };
  }
}
