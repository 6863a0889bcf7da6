/**
 * Builders for the H.225.0 RAS messages (RasMessage alternatives) a gatekeeper and an endpoint
 * exchange: discovery, registration (full and lightweight re-registration), unregistration,
 * admission, disengage and location. Mandatory extension additions of version 7 are filled in.
 */
import type { ChoiceValue } from '../asn1/types';
import { H225_PROTOCOL_ID, VENDOR, alias, choice, h225Address, seq, type IpPort } from './common';

const terminal = (): Record<string, ChoiceValue | boolean | Record<string, never>> => ({ terminal: {}, mc: false, undefinedNode: false });

export function gatekeeperRequest(o: { seq: number; rasAddress: IpPort; aliases?: readonly string[] }): ChoiceValue {
  return choice(
    'gatekeeperRequest',
    seq({
      requestSeqNum: o.seq,
      protocolIdentifier: H225_PROTOCOL_ID,
      rasAddress: h225Address(o.rasAddress),
      endpointType: terminal(),
      endpointAlias: o.aliases?.map(alias),
      supportsAssignedGK: false,
    }),
  );
}

export function gatekeeperConfirm(o: { seq: number; gatekeeperId: string; rasAddress: IpPort }): ChoiceValue {
  return choice(
    'gatekeeperConfirm',
    seq({
      requestSeqNum: o.seq,
      protocolIdentifier: H225_PROTOCOL_ID,
      gatekeeperIdentifier: o.gatekeeperId,
      rasAddress: h225Address(o.rasAddress),
    }),
  );
}

export function gatekeeperReject(o: { seq: number; reason: string }): ChoiceValue {
  return choice('gatekeeperReject', seq({ requestSeqNum: o.seq, protocolIdentifier: H225_PROTOCOL_ID, rejectReason: choice(o.reason) }));
}

export interface RrqOptions {
  seq: number;
  callSignalAddress: IpPort;
  rasAddress: IpPort;
  aliases: readonly string[];
  timeToLive?: number;
  /** Lightweight re-registration (H.225.0 7.9.1): keepAlive with the ids from the RCF. */
  keepAlive?: { endpointId: string; gatekeeperId: string };
}

export function registrationRequest(o: RrqOptions): ChoiceValue {
  return choice(
    'registrationRequest',
    seq({
      requestSeqNum: o.seq,
      protocolIdentifier: H225_PROTOCOL_ID,
      discoveryComplete: false,
      callSignalAddress: [h225Address(o.callSignalAddress)],
      rasAddress: [h225Address(o.rasAddress)],
      terminalType: terminal(),
      terminalAlias: o.keepAlive ? undefined : o.aliases.map(alias),
      gatekeeperIdentifier: o.keepAlive?.gatekeeperId,
      endpointVendor: VENDOR,
      timeToLive: o.timeToLive,
      keepAlive: o.keepAlive !== undefined,
      endpointIdentifier: o.keepAlive?.endpointId,
      willSupplyUUIEs: false,
      maintainConnection: false,
      supportsAssignedGK: false,
    }),
  );
}

export function registrationConfirm(o: {
  seq: number;
  callSignalAddress: IpPort;
  aliases: readonly string[];
  gatekeeperId: string;
  endpointId: string;
  timeToLive?: number;
}): ChoiceValue {
  return choice(
    'registrationConfirm',
    seq({
      requestSeqNum: o.seq,
      protocolIdentifier: H225_PROTOCOL_ID,
      callSignalAddress: [h225Address(o.callSignalAddress)],
      terminalAlias: o.aliases.map(alias),
      gatekeeperIdentifier: o.gatekeeperId,
      endpointIdentifier: o.endpointId,
      timeToLive: o.timeToLive,
      willRespondToIRR: false,
      maintainConnection: false,
    }),
  );
}

/** RRJ; `duplicateAlias` carries the aliases already registered elsewhere. */
export function registrationReject(o: { seq: number; reason: string; duplicates?: readonly string[] }): ChoiceValue {
  const reason = o.reason === 'duplicateAlias' ? choice(o.reason, (o.duplicates ?? []).map(alias)) : choice(o.reason);
  return choice('registrationReject', seq({ requestSeqNum: o.seq, protocolIdentifier: H225_PROTOCOL_ID, rejectReason: reason }));
}

export function unregistrationRequest(o: { seq: number; callSignalAddress: IpPort; endpointId?: string }): ChoiceValue {
  return choice(
    'unregistrationRequest',
    seq({ requestSeqNum: o.seq, callSignalAddress: [h225Address(o.callSignalAddress)], endpointIdentifier: o.endpointId }),
  );
}

export function unregistrationConfirm(o: { seq: number }): ChoiceValue {
  return choice('unregistrationConfirm', seq({ requestSeqNum: o.seq }));
}

export interface ArqOptions {
  seq: number;
  endpointId: string;
  srcAliases: readonly string[];
  destAliases?: readonly string[];
  bandwidth: number;
  callReference: number;
  conferenceId: Uint8Array;
  callId: Uint8Array;
  answerCall: boolean;
  destCallSignalAddress?: IpPort;
}

export function admissionRequest(o: ArqOptions): ChoiceValue {
  return choice(
    'admissionRequest',
    seq({
      requestSeqNum: o.seq,
      callType: choice('pointToPoint'),
      callModel: choice('direct'),
      endpointIdentifier: o.endpointId,
      destinationInfo: o.destAliases?.map(alias),
      destCallSignalAddress: o.destCallSignalAddress && h225Address(o.destCallSignalAddress),
      srcInfo: o.srcAliases.map(alias),
      bandWidth: o.bandwidth,
      callReferenceValue: o.callReference,
      conferenceID: o.conferenceId,
      activeMC: false,
      answerCall: o.answerCall,
      canMapAlias: false,
      callIdentifier: { guid: o.callId },
      willSupplyUUIEs: false,
      canMapSrcAlias: false,
    }),
  );
}

export function admissionConfirm(o: { seq: number; bandwidth: number; destCallSignalAddress: IpPort }): ChoiceValue {
  return choice(
    'admissionConfirm',
    seq({
      requestSeqNum: o.seq,
      bandWidth: o.bandwidth,
      callModel: choice('direct'),
      destCallSignalAddress: h225Address(o.destCallSignalAddress),
      willRespondToIRR: false,
      uuiesRequested: uuiesNone(),
    }),
  );
}

/** UUIEsRequested with every flag false (a mandatory component of ACF). */
function uuiesNone(): Record<string, boolean> {
  const flags = [
    'setup',
    'callProceeding',
    'connect',
    'alerting',
    'information',
    'releaseComplete',
    'facility',
    'progress',
    'empty',
    'status',
    'statusInquiry',
    'setupAcknowledge',
    'notify',
  ];
  return Object.fromEntries(flags.map((f) => [f, false]));
}

export function admissionReject(o: { seq: number; reason: string }): ChoiceValue {
  return choice('admissionReject', seq({ requestSeqNum: o.seq, rejectReason: choice(o.reason) }));
}

export function disengageRequest(o: {
  seq: number;
  endpointId: string;
  conferenceId: Uint8Array;
  callReference: number;
  callId: Uint8Array;
  reason?: string;
  answeredCall: boolean;
}): ChoiceValue {
  return choice(
    'disengageRequest',
    seq({
      requestSeqNum: o.seq,
      endpointIdentifier: o.endpointId,
      conferenceID: o.conferenceId,
      callReferenceValue: o.callReference,
      disengageReason: choice(o.reason ?? 'normalDrop'),
      callIdentifier: { guid: o.callId },
      answeredCall: o.answeredCall,
    }),
  );
}

export function disengageConfirm(o: { seq: number }): ChoiceValue {
  return choice('disengageConfirm', seq({ requestSeqNum: o.seq }));
}

export function locationRequest(o: { seq: number; destAliases: readonly string[]; replyAddress: IpPort }): ChoiceValue {
  return choice('locationRequest', seq({ requestSeqNum: o.seq, destinationInfo: o.destAliases.map(alias), replyAddress: h225Address(o.replyAddress) }));
}

export function locationConfirm(o: { seq: number; callSignalAddress: IpPort; rasAddress: IpPort }): ChoiceValue {
  return choice('locationConfirm', seq({ requestSeqNum: o.seq, callSignalAddress: h225Address(o.callSignalAddress), rasAddress: h225Address(o.rasAddress) }));
}

export function unregistrationReject(o: { seq: number; reason: string }): ChoiceValue {
  return choice('unregistrationReject', seq({ requestSeqNum: o.seq, rejectReason: choice(o.reason) }));
}

export function disengageReject(o: { seq: number; reason: string }): ChoiceValue {
  return choice('disengageReject', seq({ requestSeqNum: o.seq, rejectReason: choice(o.reason) }));
}

export function locationReject(o: { seq: number; reason: string }): ChoiceValue {
  return choice('locationReject', seq({ requestSeqNum: o.seq, rejectReason: choice(o.reason) }));
}

export function bandwidthConfirm(o: { seq: number; bandwidth: number }): ChoiceValue {
  return choice('bandwidthConfirm', seq({ requestSeqNum: o.seq, bandWidth: o.bandwidth }));
}

/** XRS: the answer to a RAS request this gatekeeper does not implement (H.225.0 7.15). */
export function unknownMessageResponse(o: { seq: number; message: Uint8Array }): ChoiceValue {
  return choice('unknownMessageResponse', seq({ requestSeqNum: o.seq, messageNotUnderstood: o.message }));
}

/** IACK: acknowledges an unsolicited IRR that asked for one (needResponse). */
export function infoRequestAck(o: { seq: number }): ChoiceValue {
  return choice('infoRequestAck', seq({ requestSeqNum: o.seq }));
}
