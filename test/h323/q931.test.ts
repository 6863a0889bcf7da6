/** Q.931 (H.225.0 profile) and TPKT framing. */
import assert from 'node:assert/strict';
import { Q931DecodeError } from '../../src/h323/q931/errors';
import {
  IeId,
  MessageType,
  causeIe,
  causeValue,
  decodeQ931,
  encodeQ931,
  partyNumberDigits,
  partyNumberIe,
  userUserIe,
  userUserPdu,
} from '../../src/h323/q931/q931';
import { TpktReader, tpktFrame } from '../../src/h323/q931/tpkt';

describe('Q.931 and TPKT', () => {
  it('encodes a Setup with a two-octet user-user length and decodes it back', () => {
    const pdu = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const bytes = encodeQ931({
      callReference: 0x1234,
      fromDestination: false,
      messageType: MessageType.setup,
      ies: [{ id: 0xa1, data: new Uint8Array(0) }, partyNumberIe(IeId.calledPartyNumber, '8123'), userUserIe(pdu)],
    });
    assert.deepEqual([...bytes.subarray(0, 6)], [0x08, 0x02, 0x12, 0x34, 0x05, 0xa1]);
    const m = decodeQ931(bytes);
    assert.equal(m.callReference, 0x1234);
    assert.equal(m.fromDestination, false);
    assert.equal(m.messageType, MessageType.setup);
    assert.equal(partyNumberDigits(m.ies.find((i) => i.id === IeId.calledPartyNumber)!.data), '8123');
    assert.deepEqual(userUserPdu(m), pdu);
  });

  it('reads the call reference flag and cause values', () => {
    const m = decodeQ931(encodeQ931({ callReference: 7, fromDestination: true, messageType: MessageType.releaseComplete, ies: [causeIe(17)] }));
    assert.equal(m.fromDestination, true);
    assert.equal(causeValue(m.ies[0]!.data), 17);
  });

  it('rejects truncated IEs and foreign protocols with Q931DecodeError', () => {
    assert.throws(() => decodeQ931(Uint8Array.of(0x08, 0x02, 0, 1, 5, 0x7e, 0x01)), Q931DecodeError);
    assert.throws(() => decodeQ931(Uint8Array.of(0x08, 0x02, 0, 1, 5, 0x70, 0x09, 0x81)), Q931DecodeError);
    assert.throws(() => decodeQ931(Uint8Array.of(0x09, 0x02, 0, 1, 5)), Q931DecodeError);
  });

  it('de-frames TPKT packets split and coalesced across TCP reads', () => {
    const a = tpktFrame(Uint8Array.of(1, 2, 3));
    const b = tpktFrame(Uint8Array.of(4));
    const stream = Uint8Array.from([...a, ...b]);
    const r = new TpktReader();
    assert.deepEqual(r.push(stream.subarray(0, 2)), []);
    assert.deepEqual(r.push(stream.subarray(2, 9)), [Uint8Array.of(1, 2, 3)]);
    assert.equal(r.buffered, 2);
    assert.deepEqual(r.push(stream.subarray(9)), [Uint8Array.of(4)]);
    assert.throws(() => new TpktReader().push(Uint8Array.of(2, 0, 0, 5)), Q931DecodeError);
  });
});
