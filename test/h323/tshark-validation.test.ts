/**
 * Messages built by src/h323/messages and encoded by our PER codec are written to captures and
 * dissected by Debian's tshark: RAS on UDP 1719, call signalling as TPKT + Q.931 + user-user IE
 * on TCP 1720, and H.245 through the h245dg dissector on a user DLT. tshark must report no
 * malformed packet or PER error, and must show the field values we meant to send.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perEncode } from '../../src/h323/per';
import { IeId, MessageType, bearerCapabilityIe, causeIe, encodeQ931, partyNumberIe, userUserIe } from '../../src/h323/q931/q931';
import { tpktFrame } from '../../src/h323/q931/tpkt';
import { writePcap, writeRawPcap } from './support/pcap';
import { tsharkSuite } from './support/tshark';
import { sampleMessages, type Sample } from './support/sample-messages';

const TITLE = 'H.323 messages validated by tshark';
const USER_DLT = 147;

function tshark(file: string, extra: readonly string[] = []): string {
  const r = spawnSync('tshark', ['-n', '-r', file, '-V', ...extra], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout;
}

/** Splits `tshark -V` output into frames. */
const frames = (text: string): string[] => text.split(/^Frame \d+:/m).slice(1);

function assertClean(frame: string, name: string): void {
  assert.doesNotMatch(frame, /Malformed|UNKNOWN PER|something unknown here|Expert Info \(Error/i, `${name}: tshark reports an error:\n${frame}`);
}

if (tsharkSuite(TITLE)) {
  describe(TITLE, function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-tshark-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const samples = sampleMessages();
    const byName = (n: string): Sample => samples.find((s) => s.name === n)!;

    it('RAS messages on UDP 1719 decode cleanly with the intended values', () => {
      const ras = samples.filter((s) => s.typeName === 'RasMessage');
      const file = join(dir, 'ras.pcap');
      writeFileSync(file, writePcap(ras.map((s) => ({ proto: 'udp' as const, sport: 1719, dport: 1719, payload: perEncode(s.type, s.value) }))));
      const out = frames(tshark(file));
      assert.equal(out.length, ras.length);
      out.forEach((f, i) => {
        assertClean(f, ras[i]!.name);
      });
      const f = (n: string): string => out[ras.indexOf(byName(n))]!;
      assert.match(f('GRQ'), /RasMessage: gatekeeperRequest/);
      assert.match(f('GRQ'), /dialledDigits: 1001/);
      assert.match(f('GCF'), /gatekeeperIdentifier: diemcau/);
      assert.match(f('RRQ'), /h323-ID: xa-phuoc-hoa/);
      assert.match(f('RRQ'), /timeToLive: 300/);
      assert.match(f('RRQ'), /keepAlive: False/);
      assert.match(f('RRQ-lightweight'), /keepAlive: True/);
      assert.match(f('RRQ-lightweight'), /endpointIdentifier: ep-1001/);
      assert.match(f('RCF'), /endpointIdentifier: ep-1001/);
      assert.match(f('ARQ'), /RasMessage: admissionRequest/);
      assert.match(f('ARQ'), /bandWidth: 7680/);
      assert.match(f('ARQ'), /answerCall: False/);
      assert.match(f('ARQ'), /guid: 10111213-1415-1617-1819-1a1b1c1d1e1f/);
      assert.match(f('ACF'), /ip: 127\.0\.0\.2/);
      assert.match(f('DRQ'), /answeredCall: True/);
    });

    it('Q.931 over TPKT on TCP 1720 carries Setup (fast start G.711 + H.264), Connect and Release Complete', () => {
      const setup = encodeQ931({
        callReference: 17,
        fromDestination: false,
        messageType: MessageType.setup,
        ies: [bearerCapabilityIe(true), partyNumberIe(IeId.calledPartyNumber, '8123'), userUserIe(perEncode(byName('Setup').type, byName('Setup').value))],
      });
      const connect = encodeQ931({
        callReference: 17,
        fromDestination: true,
        messageType: MessageType.connect,
        ies: [bearerCapabilityIe(true), userUserIe(perEncode(byName('Connect').type, byName('Connect').value))],
      });
      const release = encodeQ931({
        callReference: 17,
        fromDestination: true,
        messageType: MessageType.releaseComplete,
        ies: [causeIe(16), userUserIe(perEncode(byName('ReleaseComplete').type, byName('ReleaseComplete').value))],
      });
      const file = join(dir, 'q931.pcap');
      writeFileSync(
        file,
        writePcap([
          { proto: 'tcp', sport: 40000, dport: 1720, payload: tpktFrame(setup) },
          { proto: 'tcp', sport: 1720, dport: 40000, payload: tpktFrame(connect) },
          { proto: 'tcp', sport: 1720, dport: 40000, payload: tpktFrame(release) },
        ]),
      );
      const out = frames(tshark(file));
      assert.equal(out.length, 3);
      out.forEach((f, i) => {
        assertClean(f, ['Setup', 'Connect', 'ReleaseComplete'][i]!);
      });
      const [s, c, r] = out as [string, string, string];
      assert.match(s, /Message type: SETUP \(0x05\)/);
      assert.match(s, /Called party number digits: 8123/);
      assert.match(s, /h323-message-body: setup/);
      assert.match(s, /fastStart: 2 items/);
      assert.match(s, /g711Ulaw64k: 20/);
      assert.match(s, /standard: 0\.0\.8\.241\.0\.0\.1/);
      assert.match(s, /dynamicRTPPayloadType: 109/);
      assert.match(s, /tsapIdentifier: 5004/);
      assert.match(s, /h245Tunnelling: True/);
      assert.match(c, /Message type: CONNECT \(0x07\)/);
      assert.match(c, /h323-message-body: connect/);
      assert.match(c, /fastStart: 1 item/);
      assert.match(r, /Message type: RELEASE COMPLETE \(0x5a\)/);
      assert.match(r, /Cause value: Normal call clearing \(16\)/);
      assert.match(r, /reason: undefinedReason/);
    });

    it('H.245 messages decode cleanly through h245dg', () => {
      const msgs = samples.filter((s) => s.typeName === 'MultimediaSystemControlMessage');
      const file = join(dir, 'h245.pcap');
      writeFileSync(
        file,
        writeRawPcap(
          USER_DLT,
          msgs.map((s) => perEncode(s.type, s.value)),
        ),
      );
      const out = frames(tshark(file, ['-o', 'uat:user_dlts:"User 0 (DLT=147)","h245dg","0","","0",""']));
      assert.equal(out.length, msgs.length);
      out.forEach((f, i) => {
        assertClean(f, msgs[i]!.name);
      });
      const f = (n: string): string => out[msgs.indexOf(byName(n))]!;
      assert.match(f('TerminalCapabilitySet'), /terminalCapabilitySet/);
      assert.match(f('TerminalCapabilitySet'), /g722-64k: 20/);
      assert.match(f('TerminalCapabilitySet'), /maxBitRate: 20480/);
      assert.match(f('TerminalCapabilitySet'), /booleanArray: 64/);
      assert.match(f('TerminalCapabilitySet'), /unsignedMin: 71/);
      assert.match(f('OpenLogicalChannel'), /forwardLogicalChannelNumber: 101/);
      assert.match(f('OpenLogicalChannel'), /genericVideoCapability/);
      assert.match(f('OpenLogicalChannelAck'), /tsapIdentifier: 40000/);
      assert.match(f('MasterSlaveDetermination'), /statusDeterminationNumber: 123456/);
      assert.match(f('videoFastUpdatePicture'), /videoFastUpdatePicture/);
      assert.match(f('EndSessionCommand'), /disconnect/);
    });
  });
}
