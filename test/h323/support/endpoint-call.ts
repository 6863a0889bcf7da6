/**
 * The call-signalling side of the scripted H.323 endpoint: one TCP connection carrying a call
 * it places (TPKT + Q.931 + H.225 user-user IE, built with the project's codec). It keeps every
 * Q.931 message the far end sent, raw (`frames`, for tshark) and decoded (`messages`), with any
 * fastStart and tunnelled H.245 inside.
 */
import { connect, type Socket } from 'node:net';
import * as h225 from '../../../src/h323/asn1/generated/h225';
import * as h245 from '../../../src/h323/asn1/generated/h245';
import type { ChoiceValue, SequenceValue } from '../../../src/h323/asn1/types';
import type { IpPort } from '../../../src/h323/messages/common';
import { alt, get, getArray, getSeq, isChoice } from '../../../src/h323/messages/read';
import * as uu from '../../../src/h323/messages/uuie';
import { perDecode, perEncode } from '../../../src/h323/per';
import {
  IeId,
  MessageType,
  causeIe,
  causeValue,
  decodeQ931,
  displayIe,
  encodeQ931,
  findIe,
  partyNumberIe,
  userUserIe,
  userUserPdu,
  type Q931Ie,
  type Q931Message,
} from '../../../src/h323/q931/q931';
import { TpktReader, tpktFrame } from '../../../src/h323/q931/tpkt';

export interface ReceivedMessage {
  readonly q931: Q931Message;
  /** h323-message-body alternative (setup, callProceeding, connect, releaseComplete, facility, empty...). */
  readonly body: string | undefined;
  readonly uu: SequenceValue | undefined;
  readonly fastStart: readonly Uint8Array[];
  readonly h245: readonly ChoiceValue[];
  readonly cause: number | undefined;
}

export interface DialOptions {
  readonly to: IpPort;
  readonly callReference: number;
  readonly callId: Uint8Array;
  readonly conferenceId: Uint8Array;
  readonly sourceAliases: readonly string[];
  readonly destAliases: readonly string[];
  readonly fastStart?: readonly Uint8Array[];
  readonly tunnelling?: boolean;
  readonly h245Control?: readonly Uint8Array[];
  readonly calledNumber?: string;
  readonly display?: string;
  readonly h245Address?: IpPort;
}

export class EndpointCall {
  readonly frames: Uint8Array[] = [];
  readonly messages: ReceivedMessage[] = [];
  readonly closed: Promise<void>;
  private readonly reader = new TpktReader();
  private readonly waiters: { pred: (m: ReceivedMessage) => boolean; resolve: (m: ReceivedMessage) => void }[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly o: DialOptions,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk) => {
      for (const payload of this.reader.push(chunk)) this.onMessage(payload);
    });
    socket.on('error', () => undefined);
  }

  /** Connects and sends Setup. */
  static async dial(o: DialOptions): Promise<EndpointCall> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(o.to.port, o.to.ip, () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const call = new EndpointCall(socket, o);
    const ies: Q931Ie[] = [];
    if (o.display) ies.push(displayIe(o.display));
    if (o.calledNumber) ies.push(partyNumberIe(IeId.calledPartyNumber, o.calledNumber));
    call.send(
      MessageType.setup,
      uu.setup({
        callId: o.callId,
        conferenceId: o.conferenceId,
        sourceAliases: o.sourceAliases,
        destAliases: o.destAliases,
        destCallSignalAddress: o.to,
        ...(o.fastStart ? { fastStart: o.fastStart } : {}),
        h245Tunnelling: o.tunnelling ?? true,
        ...(o.h245Control ? { h245Control: o.h245Control } : {}),
        ...(o.h245Address ? { h245Address: o.h245Address } : {}),
      }),
      ies,
    );
    return call;
  }

  /** The first message (already received or still to come) matching `pred`. */
  waitFor(pred: (m: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message; got ${this.messages.map((m) => m.body).join(', ')}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  waitForBody(body: string, timeoutMs?: number): Promise<ReceivedMessage> {
    return this.waitFor((m) => m.body === body, timeoutMs);
  }

  /** The first tunnelled H.245 message whose `kind.name` (e.g. response.terminalCapabilitySetAck) matches. */
  async waitForH245(name: string, pred: (m: ChoiceValue) => boolean = () => true): Promise<ChoiceValue> {
    const match = (x: ChoiceValue): boolean => isChoice(x.value) && `${x.choice}.${x.value.choice}` === name && pred(x);
    const m = await this.waitFor((r) => r.h245.some(match));
    return m.h245.find(match)!;
  }

  allH245(): ChoiceValue[] {
    return this.messages.flatMap((m) => [...m.h245]);
  }

  /** Tunnelled H.245 in a Facility (body `empty`). */
  sendH245(msgs: readonly ChoiceValue[]): void {
    this.send(MessageType.facility, uu.empty({ h245Tunnelling: true, h245Control: msgs.map((x) => perEncode(h245.MultimediaSystemControlMessage, x)) }));
  }

  hangup(cause = 16): void {
    this.send(MessageType.releaseComplete, uu.releaseComplete({ callId: this.o.callId, h245Tunnelling: this.o.tunnelling ?? true }), [causeIe(cause)]);
    this.socket.end();
  }

  sendQ931(type: number, ies: readonly Q931Ie[]): void {
    this.write(encodeQ931({ callReference: this.o.callReference, fromDestination: false, messageType: type, ies: [...ies] }));
  }

  /** Octets as they are, straight onto the TCP stream (no TPKT added). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private send(type: number, value: SequenceValue, ies: readonly Q931Ie[] = []): void {
    this.sendQ931(type, [...ies, userUserIe(perEncode(h225.H323_UserInformation, value))]);
  }

  private write(q931: Uint8Array): void {
    this.socket.write(tpktFrame(q931));
  }

  private onMessage(payload: Uint8Array): void {
    this.frames.push(payload);
    const q931 = decodeQ931(payload);
    const uuBytes = userUserPdu(q931);
    const pdu = uuBytes ? getSeq(perDecode(h225.H323_UserInformation, uuBytes), 'h323-uu-pdu') : undefined;
    const bodyChoice = get(pdu, 'h323-message-body');
    const body = isChoice(bodyChoice) ? bodyChoice.choice : undefined;
    const bodyValue = body ? alt(bodyChoice, body) : undefined;
    const h245Msgs = getArray(pdu, 'h245Control')
      .filter((b): b is Uint8Array => b instanceof Uint8Array)
      .map((b) => perDecode(h245.MultimediaSystemControlMessage, b))
      .filter(isChoice);
    const causeData = findIe(q931, IeId.cause);
    const msg: ReceivedMessage = {
      q931,
      body,
      uu: pdu,
      h245: h245Msgs,
      fastStart: getArray(bodyValue, 'fastStart').filter((b): b is Uint8Array => b instanceof Uint8Array),
      cause: causeData ? causeValue(causeData) : undefined,
    };
    this.messages.push(msg);
    for (const w of [...this.waiters]) {
      if (w.pred(msg)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  }
}
