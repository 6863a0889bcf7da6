/**
 * H.239 (09/2008) in H.245 terms: the control capability, the extended video capability that
 * labels a video format with a role, and the generic messages of the presentation token (§7).
 * Builders give H.245 values for the PER codec; readers narrow decoded ones and throw
 * H239DecodeError when a message names H.239 but breaks its rules (a hostile or broken peer).
 */
import type { AsnValue, ChoiceValue, SequenceValue } from '../asn1/types';
import { choice } from './common';
import { alt, get, getArray, isChoice } from './read';

/** itu-t(0) recommendation(0) h(8) 239 generic-capabilities(1) control(1): h239ControlCapability. */
export const H239_CONTROL_OID = '0.0.8.239.1.1';
/** …generic-capabilities(1) extended-video(2): h239ExtendedVideoCapability. */
export const H239_EXTENDED_VIDEO_OID = '0.0.8.239.1.2';
/** itu-t(0) recommendation(0) h(8) 239 generic-message(2): every H.239 generic message. */
export const H239_MESSAGE_OID = '0.0.8.239.2';

/** The roleLabel parameter of h239ExtendedVideoCapability, and its values (booleanArray). */
export const ROLE_LABEL_PARAM = 1;
export const ROLE_PRESENTATION = 1;
export const ROLE_LIVE = 2;

/** subMessageIdentifier values (H.239 Table 7). */
export const SubMessage = {
  flowControlReleaseRequest: 1,
  flowControlReleaseResponse: 2,
  presentationTokenRequest: 3,
  presentationTokenResponse: 4,
  presentationTokenRelease: 5,
  presentationTokenIndicateOwner: 6,
} as const;

/** Generic parameter identifiers of the H.239 messages. */
const Param = { bitRate: 41, channelId: 42, symmetryBreaking: 43, terminalLabel: 44, acknowledge: 126, reject: 127 } as const;

/** The H.245 message kind each H.239 message travels in. */
export type GenericKind = 'genericRequest' | 'genericResponse' | 'genericCommand' | 'genericIndication';
const KIND_OF: Readonly<Record<GenericKind, 'request' | 'response' | 'command' | 'indication'>> = {
  genericRequest: 'request',
  genericResponse: 'response',
  genericCommand: 'command',
  genericIndication: 'indication',
};

export const isGenericKind = (name: string): name is GenericKind => Object.hasOwn(KIND_OF, name);

export type H239Message =
  | { readonly type: 'flowControlReleaseRequest'; readonly channelId: number; readonly bitRate: number }
  | { readonly type: 'flowControlReleaseResponse'; readonly acknowledge: boolean; readonly channelId: number }
  | { readonly type: 'presentationTokenRequest'; readonly terminalLabel: number; readonly channelId: number; readonly symmetryBreaking: number }
  | { readonly type: 'presentationTokenResponse'; readonly acknowledge: boolean; readonly terminalLabel: number; readonly channelId: number }
  | { readonly type: 'presentationTokenRelease'; readonly terminalLabel: number; readonly channelId: number }
  | { readonly type: 'presentationTokenIndicateOwner'; readonly terminalLabel: number; readonly channelId: number };

export type H239MessageType = H239Message['type'];

/** Which generic message carries each H.239 message (H.239 Tables 8–13). */
const CARRIER: Readonly<Record<H239MessageType, GenericKind>> = {
  flowControlReleaseRequest: 'genericRequest',
  flowControlReleaseResponse: 'genericResponse',
  presentationTokenRequest: 'genericRequest',
  presentationTokenResponse: 'genericResponse',
  presentationTokenRelease: 'genericCommand',
  presentationTokenIndicateOwner: 'genericIndication',
};

/** An H.239 message that breaks the recommendation: it is dropped, never acted upon. */
export class H239DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'H239DecodeError';
  }
}

const standard = (id: number | string): ChoiceValue => choice('standard', id);
const param = (id: number, value: ChoiceValue): SequenceValue => ({ parameterIdentifier: standard(id), parameterValue: value });

/** Capability: genericControlCapability h239ControlCapability (no parameters). */
export const h239ControlCapability = (): ChoiceValue => choice('genericControlCapability', { capabilityIdentifier: standard(H239_CONTROL_OID) });

/**
 * VideoCapability extendedVideoCapability: `video` (e.g. H.264's genericVideoCapability) in the
 * role `role` (H.239 §7.1.1; presentation by default). The same value is the OLC's video data type.
 */
export function extendedVideoCapability(video: ChoiceValue, role: number = ROLE_PRESENTATION): ChoiceValue {
  return choice('extendedVideoCapability', {
    videoCapability: [video],
    videoCapabilityExtension: [
      { capabilityIdentifier: standard(H239_EXTENDED_VIDEO_OID), collapsing: [param(ROLE_LABEL_PARAM, choice('booleanArray', role))] },
    ],
  });
}

/**
 * The video capabilities an extendedVideoCapability labels `role` (presentation by default), or
 * undefined when `videoCapability` is not one or carries another role. Role labels are bits, so an
 * extension saying presentation|live counts for both.
 */
export function roleVideoCapabilities(videoCapability: AsnValue | undefined, role: number = ROLE_PRESENTATION): ChoiceValue[] | undefined {
  const ext = alt(videoCapability, 'extendedVideoCapability');
  const labelled = getArray(ext, 'videoCapabilityExtension').some((g) => {
    if (alt(get(g, 'capabilityIdentifier'), 'standard') !== H239_EXTENDED_VIDEO_OID) return false;
    const label = getArray(g, 'collapsing').find((p) => alt(get(p, 'parameterIdentifier'), 'standard') === ROLE_LABEL_PARAM);
    const v = alt(get(label, 'parameterValue'), 'booleanArray');
    return typeof v === 'number' && (v & role) !== 0;
  });
  return labelled ? getArray(ext, 'videoCapability').filter(isChoice) : undefined;
}

/** True when a TerminalCapabilitySet lists h239ControlCapability (in any direction). */
export function hasH239Control(tcs: AsnValue | undefined): boolean {
  return getArray(tcs, 'capabilityTable').some(
    (e) => alt(get(alt(get(e, 'capability'), 'genericControlCapability'), 'capabilityIdentifier'), 'standard') === H239_CONTROL_OID,
  );
}

/** The MultimediaSystemControlMessage carrying `msg`. */
export function h239Message(msg: H239Message): ChoiceValue {
  const flag = (ack: boolean): SequenceValue => param(ack ? Param.acknowledge : Param.reject, choice('logical'));
  const n = (id: number, v: number): SequenceValue => param(id, choice('unsignedMin', v));
  let content: SequenceValue[];
  switch (msg.type) {
    case 'flowControlReleaseRequest':
      content = [n(Param.channelId, msg.channelId), n(Param.bitRate, msg.bitRate)];
      break;
    case 'flowControlReleaseResponse':
      content = [flag(msg.acknowledge), n(Param.channelId, msg.channelId)];
      break;
    case 'presentationTokenRequest':
      content = [n(Param.terminalLabel, msg.terminalLabel), n(Param.channelId, msg.channelId), n(Param.symmetryBreaking, msg.symmetryBreaking)];
      break;
    case 'presentationTokenResponse':
      content = [flag(msg.acknowledge), n(Param.terminalLabel, msg.terminalLabel), n(Param.channelId, msg.channelId)];
      break;
    case 'presentationTokenRelease':
    case 'presentationTokenIndicateOwner':
      content = [n(Param.terminalLabel, msg.terminalLabel), n(Param.channelId, msg.channelId)];
      break;
  }
  const kind = CARRIER[msg.type];
  return choice(
    KIND_OF[kind],
    choice(kind, { messageIdentifier: standard(H239_MESSAGE_OID), subMessageIdentifier: SubMessage[msg.type], messageContent: content }),
  );
}

const TYPE_OF: ReadonlyMap<number, H239MessageType> = new Map(Object.entries(SubMessage).map(([k, v]) => [v, k as H239MessageType]));

/**
 * The H.239 message in a decoded GenericMessage that arrived as `kind`; undefined when the message
 * is not H.239 (another messageIdentifier). Throws H239DecodeError when it is H.239 but unknown,
 * in the wrong kind of message, or without a mandatory parameter or with one out of range.
 */
export function readH239(kind: GenericKind, generic: AsnValue | undefined): H239Message | undefined {
  if (alt(get(generic, 'messageIdentifier'), 'standard') !== H239_MESSAGE_OID) return undefined;
  const sub = get(generic, 'subMessageIdentifier');
  const type = typeof sub === 'number' ? TYPE_OF.get(sub) : undefined;
  if (!type) throw new H239DecodeError(`unknown H.239 subMessageIdentifier ${String(sub)}`);
  if (CARRIER[type] !== kind) throw new H239DecodeError(`${type} in a ${kind}`);
  const params = new Map<number, ChoiceValue>();
  for (const p of getArray(generic, 'messageContent')) {
    const id = alt(get(p, 'parameterIdentifier'), 'standard');
    const value = get(p, 'parameterValue');
    if (typeof id === 'number' && isChoice(value)) params.set(id, value);
  }
  const num = (id: number, name: string, min = 0, max = 65535): number => {
    const v = params.get(id);
    const x = v && ['unsignedMin', 'unsignedMax', 'unsigned32Min', 'unsigned32Max'].includes(v.choice) ? v.value : undefined;
    if (typeof x !== 'number') throw new H239DecodeError(`${type} without ${name}`);
    if (x < min || x > max) throw new H239DecodeError(`${type}: ${name} ${x} out of range`);
    return x;
  };
  const answer = (): boolean => {
    const ack = params.get(Param.acknowledge)?.choice === 'logical';
    const rej = params.get(Param.reject)?.choice === 'logical';
    if (ack === rej) throw new H239DecodeError(`${type} must either acknowledge or reject`);
    return ack;
  };
  const label = (): number => num(Param.terminalLabel, 'terminalLabel');
  // Not limited to LogicalChannelNumber (1..): a terminal asking before its channel is open has none to name.
  const channelId = (): number => num(Param.channelId, 'channelId');
  switch (type) {
    case 'flowControlReleaseRequest':
      return { type, channelId: channelId(), bitRate: num(Param.bitRate, 'bitRate', 1, 0xffffffff) };
    case 'flowControlReleaseResponse':
      return { type, acknowledge: answer(), channelId: channelId() };
    case 'presentationTokenRequest':
      return { type, terminalLabel: label(), channelId: channelId(), symmetryBreaking: num(Param.symmetryBreaking, 'symmetryBreaking', 1, 127) };
    case 'presentationTokenResponse':
      return { type, acknowledge: answer(), terminalLabel: label(), channelId: channelId() };
    case 'presentationTokenRelease':
    case 'presentationTokenIndicateOwner':
      return { type, terminalLabel: label(), channelId: channelId() };
  }
}
