/** One valid message of every primitive, for round trips and as seeds for mutation. */
import { type BfcpBody, type BfcpEnvelope, type BfcpMessage, RequestStatus } from '../../src/bfcp/codec';

const fri = {
  floorRequestId: 7,
  overallRequestStatus: { floorRequestId: 7, requestStatus: { status: RequestStatus.Granted, queuePosition: 0 }, statusInfo: 'ok' },
  floorRequestStatus: [
    { floorId: 1, requestStatus: { status: RequestStatus.Granted, queuePosition: 0 } },
    { floorId: 2, statusInfo: 'slides' },
  ],
  beneficiary: { userId: 3, displayName: 'Phòng họp Xã', uri: 'sip:room@example.vn' },
  requestedBy: { userId: 4, displayName: 'Chair' },
  priority: 2,
  participantProvidedInfo: 'please',
} as const;

const bodies: readonly BfcpBody[] = [
  { primitive: 'FloorRequest', floorIds: [1, 2], beneficiaryId: 9, participantProvidedInfo: 'x', priority: 4 },
  { primitive: 'FloorRelease', floorRequestId: 7 },
  { primitive: 'FloorRequestQuery', floorRequestId: 7 },
  { primitive: 'FloorRequestStatus', floorRequestInformation: fri },
  { primitive: 'UserQuery', beneficiaryId: 3 },
  { primitive: 'UserStatus', beneficiary: { userId: 3, uri: 'sip:a@b' }, floorRequests: [fri, { floorRequestId: 8, floorRequestStatus: [{ floorId: 1 }] }] },
  { primitive: 'FloorQuery', floorIds: [1] },
  { primitive: 'FloorStatus', floorId: 1, floorRequests: [fri] },
  {
    primitive: 'ChairAction',
    floorRequestInformation: { floorRequestId: 7, floorRequestStatus: [{ floorId: 1, requestStatus: { status: RequestStatus.Revoked, queuePosition: 0 } }] },
  },
  { primitive: 'ChairActionAck' },
  { primitive: 'Hello' },
  { primitive: 'HelloAck', supportedPrimitives: [1, 2, 11, 12], supportedAttributes: [1, 2, 3, 18] },
  { primitive: 'Error', errorCode: 4, errorDetails: Uint8Array.of(0x28), errorInfo: 'unknown attribute' },
  { primitive: 'FloorRequestStatusAck' },
  { primitive: 'FloorStatusAck' },
  { primitive: 'Goodbye' },
  { primitive: 'GoodbyeAck' },
];

export function sampleMessages(envelope: Partial<BfcpEnvelope> = {}): BfcpMessage[] {
  return bodies.map((b, i) => ({ version: 1, responder: false, conferenceId: 0x01020304, transactionId: 100 + i, userId: 42, ...envelope, ...b }));
}
