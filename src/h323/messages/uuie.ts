/**
 * Builders for H323-UserInformation (the user-user IE of Q.931 messages): Setup with fast
 * start and H.245 tunnelling, Call Proceeding, Alerting, Connect, Release Complete, Facility.
 */
import type { AsnValue, ChoiceValue, SequenceValue } from '../asn1/types';
import { H225_PROTOCOL_ID, VENDOR, alias, choice, h225Address, seq, type IpPort } from './common';

export interface UuOptions {
  /** Encoded OpenLogicalChannel proposals/answers (fast connect). */
  fastStart?: readonly Uint8Array[];
  /** Tunnelled H.245 PDUs (h245Control); with h245Tunnelling true. */
  h245Control?: readonly Uint8Array[];
  h245Tunnelling?: boolean;
}

function userInformation(body: ChoiceValue, o: UuOptions): SequenceValue {
  return {
    'h323-uu-pdu': seq({
      'h323-message-body': body,
      h245Tunnelling: o.h245Tunnelling ?? true,
      h245Control: o.h245Control && [...o.h245Control],
    }),
  };
}

const endpoint = (kind: 'terminal' | 'gateway' | 'mcu'): SequenceValue => ({ vendor: VENDOR, [kind]: {}, mc: false, undefinedNode: false });

export interface SetupOptions extends UuOptions {
  callId: Uint8Array;
  conferenceId: Uint8Array;
  sourceAliases: readonly string[];
  destAliases: readonly string[];
  sourceCallSignalAddress?: IpPort;
  destCallSignalAddress?: IpPort;
  /** Where the caller listens for a separate H.245 channel (when not tunnelling). */
  h245Address?: IpPort;
}

export function setup(o: SetupOptions): SequenceValue {
  return userInformation(
    choice(
      'setup',
      seq({
        protocolIdentifier: H225_PROTOCOL_ID,
        h245Address: o.h245Address && h225Address(o.h245Address),
        sourceAddress: o.sourceAliases.map(alias),
        sourceInfo: endpoint('terminal'),
        destinationAddress: o.destAliases.map(alias),
        destCallSignalAddress: o.destCallSignalAddress && h225Address(o.destCallSignalAddress),
        activeMC: false,
        conferenceID: o.conferenceId,
        conferenceGoal: choice('create'),
        callType: choice('pointToPoint'),
        sourceCallSignalAddress: o.sourceCallSignalAddress && h225Address(o.sourceCallSignalAddress),
        callIdentifier: { guid: o.callId },
        fastStart: o.fastStart && [...o.fastStart],
        mediaWaitForConnect: false,
        canOverlapSend: false,
        multipleCalls: false,
        maintainConnection: false,
      }),
    ),
    o,
  );
}

export function callProceeding(o: UuOptions & { callId: Uint8Array }): SequenceValue {
  return userInformation(
    choice(
      'callProceeding',
      seq({
        protocolIdentifier: H225_PROTOCOL_ID,
        destinationInfo: endpoint('gateway'),
        callIdentifier: { guid: o.callId },
        fastStart: o.fastStart && [...o.fastStart],
        multipleCalls: false,
        maintainConnection: false,
      }),
    ),
    o,
  );
}

export function alerting(o: UuOptions & { callId: Uint8Array }): SequenceValue {
  return userInformation(
    choice(
      'alerting',
      seq({
        protocolIdentifier: H225_PROTOCOL_ID,
        destinationInfo: endpoint('gateway'),
        callIdentifier: { guid: o.callId },
        fastStart: o.fastStart && [...o.fastStart],
        multipleCalls: false,
        maintainConnection: false,
      }),
    ),
    o,
  );
}

export function connect(o: UuOptions & { callId: Uint8Array; conferenceId: Uint8Array; h245Address?: IpPort }): SequenceValue {
  return userInformation(
    choice(
      'connect',
      seq({
        protocolIdentifier: H225_PROTOCOL_ID,
        h245Address: o.h245Address && h225Address(o.h245Address),
        destinationInfo: endpoint('gateway'),
        conferenceID: o.conferenceId,
        callIdentifier: { guid: o.callId },
        fastStart: o.fastStart && [...o.fastStart],
        multipleCalls: false,
        maintainConnection: false,
      }),
    ),
    o,
  );
}

export function releaseComplete(o: { callId: Uint8Array; reason?: string; h245Tunnelling?: boolean }): SequenceValue {
  return userInformation(
    choice(
      'releaseComplete',
      seq({
        protocolIdentifier: H225_PROTOCOL_ID,
        reason: o.reason === undefined ? undefined : choice(o.reason),
        callIdentifier: { guid: o.callId },
      }),
    ),
    { h245Tunnelling: o.h245Tunnelling ?? false },
  );
}

/**
 * A message body of `empty` (H.225.0 v4+): a Facility whose only purpose is to carry tunnelled
 * H.245 when no other call-signalling message is due.
 */
export function empty(o: UuOptions): SequenceValue {
  return userInformation(choice('empty'), o);
}

/** Status (answer to Status Enquiry). */
export function status(o: UuOptions & { callId: Uint8Array }): SequenceValue {
  return userInformation(choice('status', { protocolIdentifier: H225_PROTOCOL_ID, callIdentifier: { guid: o.callId } }), o);
}

/** Facility: `reason` e.g. 'startH245' (with h245Address) or 'undefinedReason' to carry tunnelled H.245. */
export function facility(o: UuOptions & { callId: Uint8Array; conferenceId: Uint8Array; reason: string; h245Address?: IpPort }): SequenceValue {
  const body: Record<string, AsnValue | undefined> = {
    protocolIdentifier: H225_PROTOCOL_ID,
    conferenceID: o.conferenceId,
    reason: choice(o.reason),
    callIdentifier: { guid: o.callId },
    h245Address: o.h245Address && h225Address(o.h245Address),
    fastStart: o.fastStart && [...o.fastStart],
    multipleCalls: false,
    maintainConnection: false,
  };
  return userInformation(choice('facility', seq(body)), o);
}
