/**
 * The answering side of a scripted H.323 endpoint, for dial-out tests: a TCP listener that takes
 * one Setup per connection and either answers (CallProceeding, then Connect accepting G.711 μ-law
 * if proposed both ways, with its RTP to `audio`), refuses (Release Complete with a
 * cause, e.g. 17 busy), or rings for ever (CallProceeding, Alerting, then waits for the caller to
 * give up). With `video`, it also accepts H.264 both ways, sending on channel 202. It keeps what
 * each caller sent, tunnelled H.245 included, and answers nothing in H.245: fast start is enough for
 * media, and a quiet endpoint is what the caller must cope with anyway.
 */
import { createServer, type Server, type Socket } from 'node:net';
import * as h225 from '../../../src/h323/asn1/generated/h225';
import * as h245 from '../../../src/h323/asn1/generated/h245';
import type { ChoiceValue, SequenceValue } from '../../../src/h323/asn1/types';
import { acceptFromUs, acceptToUs, parseFastStart, selectFastStart } from '../../../src/h323/call/fast-start';
import { readSetup, type SetupInfo } from '../../../src/h323/call/setup';
import type { IpPort } from '../../../src/h323/messages/common';
import { get, getArray, getSeq, isChoice } from '../../../src/h323/messages/read';
import * as uu from '../../../src/h323/messages/uuie';
import { perDecode, perEncode } from '../../../src/h323/per';
import { IeId, MessageType, causeIe, causeValue, decodeQ931, encodeQ931, findIe, userUserIe, userUserPdu, type Q931Ie } from '../../../src/h323/q931/q931';
import { TpktReader, tpktFrame } from '../../../src/h323/q931/tpkt';

/** The channel number an answering endpoint sends video on (its fast-start answer). */
export const ANSWERED_VIDEO_CHANNEL = 202;

export type AnswerMode =
  | { readonly kind: 'answer'; readonly audio: IpPort; readonly video?: IpPort }
  | { readonly kind: 'release'; readonly cause: number }
  | { readonly kind: 'ring' };

export interface AnsweredIncoming {
  readonly setup: SetupInfo;
  /** Message bodies the caller sent after the Setup (facility, releaseComplete...). */
  readonly bodies: string[];
  /** Cause of the caller's Release Complete, once it came. */
  releaseCause: number | undefined;
  /** Where the caller wants our RTP (its reverse proposal for the accepted format). */
  sendTo: IpPort | undefined;
  /** Tunnelled H.245 the caller sent, decoded. */
  readonly h245: ChoiceValue[];
  readonly closed: Promise<void>;
  hangup(cause?: number): void;
  /** Sends H.245 tunnelled in a Facility. */
  sendH245(msgs: readonly ChoiceValue[]): void;
}

export class AnsweringEndpoint {
  readonly calls: AnsweredIncoming[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    public mode: AnswerMode,
  ) {}

  static async listen(mode: AnswerMode): Promise<AnsweringEndpoint> {
    const server = createServer();
    const ep = new AnsweringEndpoint(server, mode);
    server.on('connection', (s) => ep.onConnection(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return ep;
  }

  get address(): IpPort {
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('not listening');
    return { ip: '127.0.0.1', port: a.port };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.sockets.delete(socket);
        resolve();
      }),
    );
    const reader = new TpktReader();
    let call: AnsweredIncoming | undefined;
    const send = (setup: SetupInfo, type: number, value: ReturnType<typeof uu.connect>, ies: readonly Q931Ie[] = []): void => {
      socket.write(
        tpktFrame(
          encodeQ931({
            callReference: setup.callReference,
            fromDestination: true,
            messageType: type,
            ies: [...ies, userUserIe(perEncode(h225.H323_UserInformation, value))],
          }),
        ),
      );
    };
    socket.on('data', (chunk) => {
      for (const payload of reader.push(chunk)) {
        const msg = decodeQ931(payload);
        const bytes = userUserPdu(msg);
        const pdu = bytes ? getSeq(perDecode(h225.H323_UserInformation, bytes), 'h323-uu-pdu') : undefined;
        const body = get(pdu, 'h323-message-body');
        if (!call) {
          const setup = readSetup(msg, pdu);
          if (!setup) {
            socket.destroy();
            return;
          }
          call = {
            setup,
            bodies: [],
            releaseCause: undefined,
            sendTo: undefined,
            closed,
            h245: [],
            hangup: (cause = 16) => {
              send(setup, MessageType.releaseComplete, uu.releaseComplete({ callId: setup.guid, h245Tunnelling: setup.tunnelling }), [causeIe(cause)]);
              socket.end();
            },
            sendH245: (msgs) =>
              send(
                setup,
                MessageType.facility,
                uu.empty({ h245Tunnelling: true, h245Control: msgs.map((x) => perEncode(h245.MultimediaSystemControlMessage, x)) }),
              ),
          };
          this.calls.push(call);
          call.h245.push(...tunnelled(pdu));
          this.answer(call, (type, value, ies) => send(setup, type, value, ies), socket);
          continue;
        }
        call.bodies.push(isChoice(body) ? body.choice : '?');
        call.h245.push(...tunnelled(pdu));
        if (msg.messageType === MessageType.releaseComplete) {
          const ie = findIe(msg, IeId.cause);
          call.releaseCause = ie ? causeValue(ie) : undefined;
          socket.end();
        }
      }
    });
  }

  private answer(call: AnsweredIncoming, send: (type: number, value: ReturnType<typeof uu.connect>, ies?: readonly Q931Ie[]) => void, socket: Socket): void {
    const { setup } = call;
    if (this.mode.kind === 'release') {
      send(MessageType.releaseComplete, uu.releaseComplete({ callId: setup.guid, h245Tunnelling: setup.tunnelling }), [causeIe(this.mode.cause)]);
      socket.end();
      return;
    }
    if (this.mode.kind === 'ring') {
      send(MessageType.callProceeding, uu.callProceeding({ callId: setup.guid, h245Tunnelling: setup.tunnelling }));
      send(MessageType.alerting, uu.alerting({ callId: setup.guid, h245Tunnelling: setup.tunnelling }));
      return;
    }
    const audio = this.mode.audio;
    send(MessageType.callProceeding, uu.callProceeding({ callId: setup.guid, h245Tunnelling: setup.tunnelling }));
    const proposals = parseFastStart(setup.fastStart);
    // μ-law only: that is what the tests' RtpPeer speaks.
    const sel = selectFastStart(proposals, (f) => (f.kind === 'audio' ? f.codec === 'PCMU' : this.mode.kind === 'answer' && this.mode.video !== undefined));
    if (!sel.audio) {
      send(MessageType.releaseComplete, uu.releaseComplete({ callId: setup.guid, h245Tunnelling: setup.tunnelling }), [causeIe(88)]);
      socket.end();
      return;
    }
    call.sendTo = sel.audio.fromUs.rtp;
    const fastStart = [acceptToUs(sel.audio.toUs, audio), acceptFromUs(sel.audio.fromUs, 201, audio)];
    const video = this.mode.video;
    if (video && sel.video)
      fastStart.push(acceptToUs(sel.video.toUs, video), acceptFromUs(sel.video.fromUs, ANSWERED_VIDEO_CHANNEL, video, sel.video.payloadType));
    // A moment of ringing, as a real codec has, so the caller's wait is exercised.
    setTimeout(() => {
      if (!socket.destroyed)
        send(MessageType.connect, uu.connect({ callId: setup.guid, conferenceId: setup.conferenceId, fastStart, h245Tunnelling: setup.tunnelling }));
    }, 200);
  }
}

const tunnelled = (pdu: SequenceValue | undefined): ChoiceValue[] =>
  getArray(pdu, 'h245Control')
    .filter((b): b is Uint8Array => b instanceof Uint8Array)
    .map((b) => perDecode(h245.MultimediaSystemControlMessage, b))
    .filter(isChoice);
