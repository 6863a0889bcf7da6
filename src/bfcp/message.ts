import type { BfcpVersion, RequestStatusValue } from './constants';

/** The common header as read off the wire (RFC 8855 §5.1). */
export interface BfcpHeader {
  readonly version: BfcpVersion;
  /** R: this message answers a transaction the peer started. */
  readonly responder: boolean;
  readonly primitive: number;
  /** Payload length in octets (the field counts 4-octet words). */
  readonly payloadBytes: number;
  readonly conferenceId: number;
  readonly transactionId: number;
  readonly userId: number;
  /** Present when F is set (version 2 only): offset and length of this fragment in octets. */
  readonly fragment?: { readonly offsetBytes: number; readonly lengthBytes: number };
}

/** The header fields a message carries; the payload length is computed when encoding. */
export interface BfcpEnvelope {
  readonly version: BfcpVersion;
  readonly responder: boolean;
  readonly conferenceId: number;
  readonly transactionId: number;
  readonly userId: number;
}

export interface RequestStatusField {
  readonly status: RequestStatusValue;
  /** 0 when the request is not queued. */
  readonly queuePosition: number;
}

/** BENEFICIARY-INFORMATION and REQUESTED-BY-INFORMATION. */
export interface UserInformation {
  readonly userId: number;
  readonly displayName?: string;
  readonly uri?: string;
}

export interface OverallRequestStatus {
  readonly floorRequestId: number;
  readonly requestStatus?: RequestStatusField;
  readonly statusInfo?: string;
}

export interface FloorRequestStatusInfo {
  readonly floorId: number;
  readonly requestStatus?: RequestStatusField;
  readonly statusInfo?: string;
}

export interface FloorRequestInformation {
  readonly floorRequestId: number;
  readonly overallRequestStatus?: OverallRequestStatus;
  /** At least one. */
  readonly floorRequestStatus: readonly FloorRequestStatusInfo[];
  readonly beneficiary?: UserInformation;
  readonly requestedBy?: UserInformation;
  /** 0 (lowest) … 4 (highest). */
  readonly priority?: number;
  readonly participantProvidedInfo?: string;
}

export type BfcpBody =
  | {
      readonly primitive: 'FloorRequest';
      /** At least one. */
      readonly floorIds: readonly number[];
      readonly beneficiaryId?: number;
      readonly participantProvidedInfo?: string;
      readonly priority?: number;
    }
  | { readonly primitive: 'FloorRelease'; readonly floorRequestId: number }
  | { readonly primitive: 'FloorRequestQuery'; readonly floorRequestId: number }
  | { readonly primitive: 'FloorRequestStatus'; readonly floorRequestInformation: FloorRequestInformation }
  | { readonly primitive: 'UserQuery'; readonly beneficiaryId?: number }
  | {
      readonly primitive: 'UserStatus';
      readonly beneficiary?: UserInformation;
      readonly floorRequests: readonly FloorRequestInformation[];
    }
  | { readonly primitive: 'FloorQuery'; readonly floorIds: readonly number[] }
  | { readonly primitive: 'FloorStatus'; readonly floorId?: number; readonly floorRequests: readonly FloorRequestInformation[] }
  | { readonly primitive: 'ChairAction'; readonly floorRequestInformation: FloorRequestInformation }
  | { readonly primitive: 'ChairActionAck' }
  | { readonly primitive: 'Hello' }
  | { readonly primitive: 'HelloAck'; readonly supportedPrimitives: readonly number[]; readonly supportedAttributes: readonly number[] }
  | {
      readonly primitive: 'Error';
      readonly errorCode: number;
      /** Error Specific Details (for Unknown Mandatory Attribute: one octet per type, type << 1). */
      readonly errorDetails?: Uint8Array;
      readonly errorInfo?: string;
    }
  | { readonly primitive: 'FloorRequestStatusAck' }
  | { readonly primitive: 'FloorStatusAck' }
  | { readonly primitive: 'Goodbye' }
  | { readonly primitive: 'GoodbyeAck' };

export type BfcpMessage = BfcpEnvelope & BfcpBody;

export type BfcpMessageOf<P extends BfcpBody['primitive']> = BfcpEnvelope & Extract<BfcpBody, { primitive: P }>;
