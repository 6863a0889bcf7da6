/**
 * A scripted H.323 endpoint for the tests, built only from the project's own codec and message
 * builders: it discovers and registers with a gatekeeper, asks admission, places calls with fast
 * start (proposing G.711 μ/A-law, G.722 and H.264 both ways, in that order of preference, with
 * RTP at the address of a small RTP peer) and tunnelled H.245 (TCS + MSD in the Setup), hangs
 * up, disengages and unregisters.
 */
import { randomBytes } from 'node:crypto';
import * as h245 from '../../../src/h323/asn1/generated/h245';
import type { ChoiceValue } from '../../../src/h323/asn1/types';
import { rtcpAddress, type IpPort } from '../../../src/h323/messages/common';
import * as m245 from '../../../src/h323/messages/h245';
import { extendedVideoCapability, h239ControlCapability } from '../../../src/h323/messages/h239';
import * as ras from '../../../src/h323/messages/ras';
import { get, getString, h225IpPort } from '../../../src/h323/messages/read';
import { perEncode } from '../../../src/h323/per';
import { EndpointCall } from './endpoint-call';
import { RasClient } from './ras-client';

export const H264_PT = 109;
export const ENDPOINT_TERMINAL_TYPE = 50;

export interface CallPlan {
  /** Where to call (the ACF's destCallSignalAddress). */
  readonly to: IpPort;
  /** The dialled alias, e.g. `2001*1234`. */
  readonly dial: string;
  /** Our RTP receive address for audio (RTCP on port + 1). */
  readonly audio: IpPort;
  /** Our RTP receive address for video; none: no video proposed. */
  readonly video?: IpPort;
  readonly audioCodecs?: readonly m245.AudioCodec[];
  readonly tunnelling?: boolean;
  /** Leave fastStart out altogether (slow start). */
  readonly noFastStart?: boolean;
  readonly display?: string;
  /** Q.931 called party number IE (some endpoints dial digits only there). */
  readonly calledNumber?: string;
  /** Offer a separate H.245 channel at this address (with tunnelling off). */
  readonly h245Address?: IpPort;
  /** Advertise H.239: h239ControlCapability and H.264 in the presentation role, both ways. */
  readonly h239?: boolean;
}

export interface PlacedCall {
  readonly call: EndpointCall;
  readonly callId: Uint8Array;
  readonly conferenceId: Uint8Array;
  readonly callReference: number;
  /** Our forward (transmit) channel numbers by session: the ones the far end names in a keyframe request. */
  readonly txChannels: { readonly audio: readonly number[]; readonly video: number | undefined };
}

export class ScriptedEndpoint {
  endpointId: string | undefined;
  gatekeeperId: string | undefined;
  private crv = 100;

  private constructor(
    readonly ras: RasClient,
    readonly aliases: readonly string[],
    readonly callSignalAddress: IpPort,
  ) {}

  static async open(o: { gatekeeper: IpPort; aliases: readonly string[]; callSignalAddress?: IpPort }): Promise<ScriptedEndpoint> {
    const client = await RasClient.open(o.gatekeeper);
    return new ScriptedEndpoint(client, o.aliases, o.callSignalAddress ?? { ip: '127.0.0.1', port: 1720 });
  }

  discover(): Promise<ChoiceValue> {
    return this.ras.request((seq) => ras.gatekeeperRequest({ seq, rasAddress: this.ras.address, aliases: this.aliases }));
  }

  async register(timeToLive = 300): Promise<ChoiceValue> {
    const rcf = await this.ras.request((seq) =>
      ras.registrationRequest({ seq, callSignalAddress: this.callSignalAddress, rasAddress: this.ras.address, aliases: this.aliases, timeToLive }),
    );
    if (rcf.choice === 'registrationConfirm') {
      this.endpointId = getString(rcf.value, 'endpointIdentifier');
      this.gatekeeperId = getString(rcf.value, 'gatekeeperIdentifier');
    }
    return rcf;
  }

  keepAlive(timeToLive = 300): Promise<ChoiceValue> {
    return this.ras.request((seq) =>
      ras.registrationRequest({
        seq,
        callSignalAddress: this.callSignalAddress,
        rasAddress: this.ras.address,
        aliases: [],
        timeToLive,
        keepAlive: { endpointId: this.endpointId ?? '', gatekeeperId: this.gatekeeperId ?? '' },
      }),
    );
  }

  /** ARQ for a call to `dial`; returns the ACF/ARJ and, on ACF, where to call. */
  async admit(dial: string, callId: Uint8Array, conferenceId: Uint8Array): Promise<{ reply: ChoiceValue; to: IpPort | undefined }> {
    const reply = await this.ras.request((seq) =>
      ras.admissionRequest({
        seq,
        endpointId: this.endpointId ?? '',
        srcAliases: this.aliases,
        destAliases: [dial],
        bandwidth: 7680,
        callReference: this.crv + 1,
        conferenceId,
        callId,
        answerCall: false,
      }),
    );
    return { reply, to: h225IpPort(get(reply.value, 'destCallSignalAddress')) };
  }

  disengage(p: PlacedCall): Promise<ChoiceValue> {
    return this.ras.request((seq) =>
      ras.disengageRequest({
        seq,
        endpointId: this.endpointId ?? '',
        conferenceId: p.conferenceId,
        callReference: p.callReference,
        callId: p.callId,
        answeredCall: false,
      }),
    );
  }

  unregister(): Promise<ChoiceValue> {
    return this.ras.request((seq) => ras.unregistrationRequest({ seq, callSignalAddress: this.callSignalAddress, endpointId: this.endpointId ?? '' }));
  }

  newIds(): { callId: Uint8Array; conferenceId: Uint8Array } {
    return { callId: Uint8Array.from(randomBytes(16)), conferenceId: Uint8Array.from(randomBytes(16)) };
  }

  /** Places a call: Setup with fastStart proposals and tunnelled TCS + MSD. */
  async call(plan: CallPlan, ids = this.newIds()): Promise<PlacedCall> {
    const callReference = ++this.crv;
    const proposals: Uint8Array[] = [];
    let channel = 0;
    const audioTx: number[] = [];
    for (const codec of plan.audioCodecs ?? ['g711Ulaw64k', 'g711Alaw64k', 'g722-64k']) {
      const dataType = { choice: 'audioData', value: m245.audioCapability(codec) };
      audioTx.push(++channel);
      proposals.push(perEncode(h245.OpenLogicalChannel, m245.openLogicalChannel({ channel, sessionId: 1, dataType, mediaControl: rtcpAddress(plan.audio) })));
      proposals.push(
        perEncode(
          h245.OpenLogicalChannel,
          m245.openReverseLogicalChannel({ channel: ++channel, sessionId: 1, dataType, media: plan.audio, mediaControl: rtcpAddress(plan.audio) }),
        ),
      );
    }
    let videoTx: number | undefined;
    if (plan.video) {
      const dataType = { choice: 'videoData', value: m245.h264Capability({ maxBitRate100bps: 10240 }) };
      videoTx = ++channel;
      proposals.push(
        perEncode(
          h245.OpenLogicalChannel,
          m245.openLogicalChannel({ channel, sessionId: 2, dataType, mediaControl: rtcpAddress(plan.video), dynamicPayloadType: H264_PT }),
        ),
      );
      proposals.push(
        perEncode(
          h245.OpenLogicalChannel,
          m245.openReverseLogicalChannel({
            channel: ++channel,
            sessionId: 2,
            dataType,
            media: plan.video,
            mediaControl: rtcpAddress(plan.video),
            dynamicPayloadType: H264_PT,
          }),
        ),
      );
    }
    const tunnelling = plan.tunnelling ?? true;
    const presentation = { choice: 'receiveAndTransmitVideoCapability', value: extendedVideoCapability(m245.h264Capability({ maxBitRate100bps: 10240 })) };
    const tcs = m245.terminalCapabilitySet({
      seq: 1,
      audio: [m245.receiveAudio(1, 'g711Ulaw64k')],
      video: [],
      others: plan.h239
        ? [
            { number: 2, capability: h239ControlCapability() },
            { number: 3, capability: presentation },
          ]
        : [],
    });
    const msd = m245.masterSlaveDetermination(ENDPOINT_TERMINAL_TYPE, 4242);
    const call = await EndpointCall.dial({
      to: plan.to,
      callReference,
      ...ids,
      sourceAliases: this.aliases,
      destAliases: [plan.dial],
      ...(plan.noFastStart ? {} : { fastStart: proposals }),
      tunnelling,
      ...(tunnelling ? { h245Control: [tcs, msd].map((x) => perEncode(h245.MultimediaSystemControlMessage, x)) } : {}),
      ...(plan.display ? { display: plan.display } : {}),
      ...(plan.calledNumber ? { calledNumber: plan.calledNumber } : {}),
      ...(plan.h245Address ? { h245Address: plan.h245Address } : {}),
    });
    return { call, ...ids, callReference, txChannels: { audio: audioTx, video: videoTx } };
  }

  close(): Promise<void> {
    return this.ras.close();
  }
}
