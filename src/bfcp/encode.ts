import { attribute, concat, floorRequestInformationAttribute, priorityAttribute, textAttribute, uint16Attribute, userInformationAttribute } from './attributes';
import { AttributeType, HEADER_BYTES, Primitive } from './constants';
import { BfcpEncodeError } from './errors';
import type { BfcpBody, BfcpMessage } from './message';

/** One whole (unfragmented) message: common header then attributes in RFC 8855 §5.3 grammar order. */
export function encodeBfcp(m: BfcpMessage): Uint8Array {
  const payload = concat(bodyAttributes(m));
  const words = payload.length / 4;
  if (words > 0xffff) throw new BfcpEncodeError(`payload of ${payload.length} octets is too long`);
  checkRange(m.conferenceId, 0xffffffff, 'conference id');
  checkRange(m.transactionId, 0xffff, 'transaction id');
  checkRange(m.userId, 0xffff, 'user id');
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  out[0] = (m.version << 5) | (m.responder ? 0x10 : 0);
  out[1] = Primitive[m.primitive];
  dv.setUint16(2, words);
  dv.setUint32(4, m.conferenceId);
  dv.setUint16(8, m.transactionId);
  dv.setUint16(10, m.userId);
  out.set(payload, HEADER_BYTES);
  return out;
}

function checkRange(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new BfcpEncodeError(`${what} ${v} out of range`);
}

function bodyAttributes(b: BfcpBody): Uint8Array[] {
  const A = AttributeType;
  switch (b.primitive) {
    case 'FloorRequest':
      if (b.floorIds.length === 0) throw new BfcpEncodeError('FloorRequest needs at least one FLOOR-ID');
      return [
        ...b.floorIds.map((id) => uint16Attribute(A.FloorId, id, 'floor id')),
        ...(b.beneficiaryId === undefined ? [] : [uint16Attribute(A.BeneficiaryId, b.beneficiaryId, 'beneficiary id')]),
        ...(b.participantProvidedInfo === undefined ? [] : [textAttribute(A.ParticipantProvidedInfo, b.participantProvidedInfo)]),
        ...(b.priority === undefined ? [] : [priorityAttribute(b.priority)]),
      ];
    case 'FloorRelease':
    case 'FloorRequestQuery':
      return [uint16Attribute(A.FloorRequestId, b.floorRequestId, 'floor request id')];
    case 'FloorRequestStatus':
    case 'ChairAction':
      return [floorRequestInformationAttribute(b.floorRequestInformation)];
    case 'UserQuery':
      return b.beneficiaryId === undefined ? [] : [uint16Attribute(A.BeneficiaryId, b.beneficiaryId, 'beneficiary id')];
    case 'UserStatus':
      return [
        ...(b.beneficiary ? [userInformationAttribute(A.BeneficiaryInformation, b.beneficiary)] : []),
        ...b.floorRequests.map(floorRequestInformationAttribute),
      ];
    case 'FloorQuery':
      return b.floorIds.map((id) => uint16Attribute(A.FloorId, id, 'floor id'));
    case 'FloorStatus':
      return [
        ...(b.floorId === undefined ? [] : [uint16Attribute(A.FloorId, b.floorId, 'floor id')]),
        ...b.floorRequests.map(floorRequestInformationAttribute),
      ];
    case 'HelloAck':
      return [
        attribute(
          A.SupportedPrimitives,
          Uint8Array.from(b.supportedPrimitives, (p) => byte(p, 'primitive')),
        ),
        attribute(
          A.SupportedAttributes,
          Uint8Array.from(b.supportedAttributes, (t) => byte(t, 'attribute type', 0x7f) << 1),
        ),
      ];
    case 'Error': {
      const details = b.errorDetails ?? new Uint8Array(0);
      return [
        attribute(A.ErrorCode, concat([Uint8Array.of(byte(b.errorCode, 'error code')), details])),
        ...(b.errorInfo === undefined ? [] : [textAttribute(A.ErrorInfo, b.errorInfo)]),
      ];
    }
    case 'ChairActionAck':
    case 'Hello':
    case 'FloorRequestStatusAck':
    case 'FloorStatusAck':
    case 'Goodbye':
    case 'GoodbyeAck':
      return [];
  }
}

function byte(v: number, what: string, max = 0xff): number {
  checkRange(v, max, what);
  return v;
}

/** Error Specific Details of Unknown Mandatory Attribute: each type in the upper 7 bits of an octet. */
export function unknownAttributeDetails(types: readonly number[]): Uint8Array {
  return Uint8Array.from(types, (t) => (t & 0x7f) << 1);
}
