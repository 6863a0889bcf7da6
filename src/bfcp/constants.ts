/** Registry values of RFC 8855 (IANA "Binary Floor Control Protocol (BFCP) Parameters"). */

export const Primitive = {
  FloorRequest: 1,
  FloorRelease: 2,
  FloorRequestQuery: 3,
  FloorRequestStatus: 4,
  UserQuery: 5,
  UserStatus: 6,
  FloorQuery: 7,
  FloorStatus: 8,
  ChairAction: 9,
  ChairActionAck: 10,
  Hello: 11,
  HelloAck: 12,
  Error: 13,
  FloorRequestStatusAck: 14,
  FloorStatusAck: 15,
  Goodbye: 16,
  GoodbyeAck: 17,
} as const;
export type PrimitiveName = keyof typeof Primitive;

export const PRIMITIVE_NAMES: ReadonlyMap<number, PrimitiveName> = new Map(
  (Object.entries(Primitive) as [PrimitiveName, number][]).map(([name, value]) => [value, name]),
);

export const AttributeType = {
  BeneficiaryId: 1,
  FloorId: 2,
  FloorRequestId: 3,
  Priority: 4,
  RequestStatus: 5,
  ErrorCode: 6,
  ErrorInfo: 7,
  ParticipantProvidedInfo: 8,
  StatusInfo: 9,
  SupportedAttributes: 10,
  SupportedPrimitives: 11,
  UserDisplayName: 12,
  UserUri: 13,
  BeneficiaryInformation: 14,
  FloorRequestInformation: 15,
  RequestedByInformation: 16,
  FloorRequestStatus: 17,
  OverallRequestStatus: 18,
} as const;
export type AttributeTypeValue = (typeof AttributeType)[keyof typeof AttributeType];

export const RequestStatus = {
  Pending: 1,
  Accepted: 2,
  Granted: 3,
  Denied: 4,
  Cancelled: 5,
  Released: 6,
  Revoked: 7,
} as const;
export type RequestStatusValue = (typeof RequestStatus)[keyof typeof RequestStatus];

export function isRequestStatus(n: number): n is RequestStatusValue {
  return n >= RequestStatus.Pending && n <= RequestStatus.Revoked;
}

export const ErrorCode = {
  ConferenceDoesNotExist: 1,
  UserDoesNotExist: 2,
  UnknownPrimitive: 3,
  UnknownMandatoryAttribute: 4,
  UnauthorizedOperation: 5,
  InvalidFloorId: 6,
  FloorRequestIdDoesNotExist: 7,
  MaximumFloorRequestsReached: 8,
  UseTls: 9,
  UnableToParseMessage: 10,
  UseDtls: 11,
  UnsupportedVersion: 12,
  IncorrectMessageLength: 13,
  GenericError: 14,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Version 1 over reliable transports (TCP), 2 over unreliable ones (UDP): RFC 8855 §5.1. */
export type BfcpVersion = 1 | 2;
export const HEADER_BYTES = 12;
export const FRAGMENT_HEADER_BYTES = 16;
