/**
 * A fixed set of messages built with src/h323/messages, as the gateway would send them: used by
 * the tshark validation and added to the Erlang cross-check corpus.
 */
import * as h225 from '../../../src/h323/asn1/generated/h225';
import * as h245 from '../../../src/h323/asn1/generated/h245';
import type { AsnType, AsnValue } from '../../../src/h323/asn1/types';
import { perEncode } from '../../../src/h323/per';
import * as m245 from '../../../src/h323/messages/h245';
import * as ras from '../../../src/h323/messages/ras';
import * as uu from '../../../src/h323/messages/uuie';

export const CALL_ID = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
export const CONF_ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const GW = { ip: '127.0.0.2', port: 1720 };
const GW_RAS = { ip: '127.0.0.2', port: 1719 };
const EP = { ip: '127.0.0.1', port: 1720 };
const EP_RAS = { ip: '127.0.0.1', port: 1719 };

export interface Sample {
  readonly name: string;
  readonly module: 'H323-MESSAGES' | 'MULTIMEDIA-SYSTEM-CONTROL';
  readonly typeName: string;
  readonly type: AsnType;
  readonly value: AsnValue;
}

const rasSample = (name: string, value: AsnValue): Sample => ({ name, module: 'H323-MESSAGES', typeName: 'RasMessage', type: h225.RasMessage, value });
const uuSample = (name: string, value: AsnValue): Sample => ({
  name,
  module: 'H323-MESSAGES',
  typeName: 'H323-UserInformation',
  type: h225.H323_UserInformation,
  value,
});
const h245Sample = (name: string, value: AsnValue): Sample => ({
  name,
  module: 'MULTIMEDIA-SYSTEM-CONTROL',
  typeName: 'MultimediaSystemControlMessage',
  type: h245.MultimediaSystemControlMessage,
  value,
});

export const G711_OLC = m245.openReverseLogicalChannel({
  channel: 1,
  sessionId: 1,
  dataType: { choice: 'audioData', value: m245.audioCapability('g711Ulaw64k') },
  media: { ip: '127.0.0.1', port: 5004 },
  mediaControl: { ip: '127.0.0.1', port: 5005 },
});
export const H264_OLC = m245.openReverseLogicalChannel({
  channel: 2,
  sessionId: 2,
  dataType: { choice: 'videoData', value: m245.h264Capability({ maxBitRate100bps: 10240 }) },
  media: { ip: '127.0.0.1', port: 5006 },
  mediaControl: { ip: '127.0.0.1', port: 5007 },
  dynamicPayloadType: 109,
});

export function sampleMessages(): Sample[] {
  const fastStart = [perEncode(h245.OpenLogicalChannel, G711_OLC), perEncode(h245.OpenLogicalChannel, H264_OLC)];
  const tcs = m245.terminalCapabilitySet({
    seq: 1,
    audio: [m245.receiveAudio(1, 'g711Ulaw64k'), m245.receiveAudio(2, 'g711Alaw64k'), m245.receiveAudio(3, 'g722-64k')],
    video: [m245.receiveVideo(4, m245.h264Capability({ maxBitRate100bps: 20480 }))],
  });
  return [
    rasSample('GRQ', ras.gatekeeperRequest({ seq: 1, rasAddress: EP_RAS, aliases: ['1001'] })),
    rasSample('GCF', ras.gatekeeperConfirm({ seq: 1, gatekeeperId: 'diemcau', rasAddress: GW_RAS })),
    rasSample('RRQ', ras.registrationRequest({ seq: 2, callSignalAddress: EP, rasAddress: EP_RAS, aliases: ['1001', 'xa-phuoc-hoa'], timeToLive: 300 })),
    rasSample(
      'RRQ-lightweight',
      ras.registrationRequest({
        seq: 3,
        callSignalAddress: EP,
        rasAddress: EP_RAS,
        aliases: [],
        timeToLive: 300,
        keepAlive: { endpointId: 'ep-1001', gatekeeperId: 'diemcau' },
      }),
    ),
    rasSample(
      'RCF',
      ras.registrationConfirm({ seq: 2, callSignalAddress: GW, aliases: ['1001'], gatekeeperId: 'diemcau', endpointId: 'ep-1001', timeToLive: 300 }),
    ),
    rasSample(
      'ARQ',
      ras.admissionRequest({
        seq: 4,
        endpointId: 'ep-1001',
        srcAliases: ['1001'],
        destAliases: ['8123'],
        bandwidth: 7680,
        callReference: 17,
        conferenceId: CONF_ID,
        callId: CALL_ID,
        answerCall: false,
      }),
    ),
    rasSample('ACF', ras.admissionConfirm({ seq: 4, bandwidth: 7680, destCallSignalAddress: GW })),
    rasSample('DRQ', ras.disengageRequest({ seq: 5, endpointId: 'ep-1001', conferenceId: CONF_ID, callReference: 17, callId: CALL_ID, answeredCall: true })),
    uuSample(
      'Setup',
      uu.setup({
        callId: CALL_ID,
        conferenceId: CONF_ID,
        sourceAliases: ['1001'],
        destAliases: ['8123'],
        destCallSignalAddress: GW,
        sourceCallSignalAddress: EP,
        fastStart,
      }),
    ),
    uuSample('Connect', uu.connect({ callId: CALL_ID, conferenceId: CONF_ID, fastStart: [fastStart[0]!] })),
    uuSample('ReleaseComplete', uu.releaseComplete({ callId: CALL_ID, reason: 'undefinedReason' })),
    h245Sample('TerminalCapabilitySet', tcs),
    h245Sample(
      'OpenLogicalChannel',
      m245.openLogicalChannelRequest(
        m245.openLogicalChannel({
          channel: 101,
          sessionId: 2,
          dataType: { choice: 'videoData', value: m245.h264Capability({ maxBitRate100bps: 10240 }) },
          mediaControl: { ip: '127.0.0.2', port: 40001 },
          dynamicPayloadType: 109,
        }),
      ),
    ),
    h245Sample(
      'OpenLogicalChannelAck',
      m245.openLogicalChannelAck({ channel: 101, sessionId: 2, media: { ip: '127.0.0.2', port: 40000 }, mediaControl: { ip: '127.0.0.2', port: 40001 } }),
    ),
    h245Sample('MasterSlaveDetermination', m245.masterSlaveDetermination(190, 123456)),
    h245Sample('videoFastUpdatePicture', m245.videoFastUpdatePicture(101)),
    h245Sample('EndSessionCommand', m245.endSessionCommand()),
  ];
}
