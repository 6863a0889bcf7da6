/**
 * What an incoming Setup says, read once into plain values: the call's identity, where it is
 * going (the room, from the destination aliases or else the Q.931 called number), who calls,
 * its fast-start proposals and how it wants H.245. Pure, so it is tested without sockets.
 */
import type { SequenceValue } from '../asn1/types';
import type { DialledRoom } from '../../calls/dialled-room';
import { firstDialledRoom } from '../dialled';
import type { IpPort } from '../messages/common';
import { aliasTexts, alt, get, getArray, getBool, getBytes, getSeq, guidText, h225IpPort, isSeq } from '../messages/read';
import { IeId, displayText, findIe, partyNumberDigits, type Q931Message } from '../q931/q931';

export interface SetupInfo {
  readonly guid: Uint8Array;
  readonly callId: string;
  readonly conferenceId: Uint8Array;
  readonly callReference: number;
  readonly tunnelling: boolean;
  /** Everything dialled, destination aliases first, then the called party number. */
  readonly dialled: readonly string[];
  readonly room: DialledRoom | undefined;
  readonly callerAlias: string | null;
  readonly callerName: string | null;
  readonly fastStart: readonly Uint8Array[];
  /** The caller's separate H.245 listening address, if it gave one. */
  readonly h245Address: IpPort | undefined;
}

/** undefined when the message carries no Setup-UUIE with a 16-octet call identifier (not H.323). */
export function readSetup(msg: Q931Message, pdu: SequenceValue | undefined): SetupInfo | undefined {
  const body = alt(get(pdu, 'h323-message-body'), 'setup');
  const guid = getBytes(getSeq(body, 'callIdentifier'), 'guid');
  if (!isSeq(body) || !guid || guid.length !== 16) return undefined;
  const called = findIe(msg, IeId.calledPartyNumber);
  const calling = findIe(msg, IeId.callingPartyNumber);
  const display = findIe(msg, IeId.display);
  const dialled = [...aliasTexts(getArray(body, 'destinationAddress')), ...(called ? [partyNumberDigits(called)] : [])];
  const conferenceId = getBytes(body, 'conferenceID');
  return {
    guid,
    callId: guidText(guid),
    conferenceId: conferenceId && conferenceId.length === 16 ? conferenceId : guid,
    callReference: msg.callReference,
    tunnelling: getBool(pdu, 'h245Tunnelling') === true,
    dialled,
    room: firstDialledRoom(dialled),
    callerAlias: aliasTexts(getArray(body, 'sourceAddress'))[0] || (calling ? partyNumberDigits(calling) : '') || null,
    callerName: (display && displayText(display)) || null,
    fastStart: getArray(body, 'fastStart').filter((b): b is Uint8Array => b instanceof Uint8Array),
    h245Address: h225IpPort(get(body, 'h245Address')),
  };
}
