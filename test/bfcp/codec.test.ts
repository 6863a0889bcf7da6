import assert from 'node:assert/strict';
import {
  BfcpDecodeError,
  BfcpEncodeError,
  BfcpStreamFramer,
  decodeBfcp,
  encodeBfcp,
  ErrorCode,
  Primitive,
  RequestStatus,
  unknownAttributeDetails,
} from '../../src/bfcp/codec';
import { sampleMessages } from './samples';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!, (h) => Number.parseInt(h, 16));

function decodeFails(bytes: Uint8Array, code: number, reason?: RegExp): BfcpDecodeError {
  let caught: unknown;
  try {
    decodeBfcp(bytes);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BfcpDecodeError, `expected BfcpDecodeError, got ${String(caught)}`);
  assert.equal(caught.errorCode, code, caught.reason);
  if (reason) assert.match(caught.reason, reason);
  return caught;
}

describe('BFCP codec', () => {
  describe('round trips', () => {
    for (const version of [1, 2] as const) {
      for (const m of sampleMessages({ version, responder: version === 2 })) {
        it(`${m.primitive} (version ${version})`, () => {
          const bytes = encodeBfcp(m);
          assert.equal(bytes.length % 4, 0);
          assert.equal(bytes[1], Primitive[m.primitive]);
          assert.deepEqual(decodeBfcp(bytes), m);
        });
      }
    }
  });

  describe('octets written out from the RFC 8855 formats', () => {
    it('Hello over TCP: version 1, no attributes', () => {
      const m = { version: 1, responder: false, conferenceId: 0x01020304, transactionId: 5, userId: 6, primitive: 'Hello' } as const;
      assert.deepEqual(encodeBfcp(m), hex('200b0000 01020304 00050006'));
      assert.deepEqual(decodeBfcp(hex('200b0000 01020304 00050006')), m);
    });

    it('FloorRequest: FLOOR-ID and PRIORITY (Normal = 2 in the top three bits)', () => {
      const bytes = hex('20010002 00000001 00020003  04040001  08044000');
      const m = decodeBfcp(bytes);
      assert.deepEqual(m, {
        version: 1,
        responder: false,
        conferenceId: 1,
        transactionId: 2,
        userId: 3,
        primitive: 'FloorRequest',
        floorIds: [1],
        priority: 2,
      });
      assert.deepEqual(encodeBfcp(m), bytes);
    });

    it('FloorRequestStatus Granted over UDP: version 2, R set, nested grouped attributes', () => {
      // FLOOR-REQUEST-INFORMATION(15) id 7, length 16 = 4 + OVERALL-REQUEST-STATUS(18) 8 + FLOOR-REQUEST-STATUS(17) 4
      const bytes = hex('50040004 0000000a 0001002a  1e100007  24080007 0a040300  22040001');
      const m = encodeBfcp({
        version: 2,
        responder: true,
        conferenceId: 10,
        transactionId: 1,
        userId: 42,
        primitive: 'FloorRequestStatus',
        floorRequestInformation: {
          floorRequestId: 7,
          overallRequestStatus: { floorRequestId: 7, requestStatus: { status: RequestStatus.Granted, queuePosition: 0 } },
          floorRequestStatus: [{ floorId: 1 }],
        },
      });
      assert.deepEqual(m, bytes);
    });

    it('Error: ERROR-CODE with details, ERROR-INFO padded with zeros', () => {
      const bytes = hex('300d0003 00000001 00020003  0c040428  0e056261 64000000');
      const m = encodeBfcp({
        version: 1,
        responder: true,
        conferenceId: 1,
        transactionId: 2,
        userId: 3,
        primitive: 'Error',
        errorCode: ErrorCode.UnknownMandatoryAttribute,
        errorDetails: unknownAttributeDetails([20]),
        errorInfo: 'bad',
      });
      assert.deepEqual(m, bytes);
    });

    it('HelloAck: SUPPORTED-PRIMITIVES one octet each, SUPPORTED-ATTRIBUTES type << 1', () => {
      const bytes = hex('300c0003 00000001 00020003  16040102  14050204 06000000');
      const m = decodeBfcp(bytes);
      assert.deepEqual(m, {
        version: 1,
        responder: true,
        conferenceId: 1,
        transactionId: 2,
        userId: 3,
        primitive: 'HelloAck',
        supportedPrimitives: [1, 2],
        supportedAttributes: [1, 2, 3],
      });
      assert.deepEqual(encodeBfcp(m), bytes);
    });
  });

  describe('strict decoding', () => {
    const valid = hex('20010002 00000001 00020003  04040001  08044000');

    it('shorter than the header', () => decodeFails(valid.subarray(0, 11), ErrorCode.IncorrectMessageLength));
    it('truncated payload', () => decodeFails(valid.subarray(0, 16), ErrorCode.IncorrectMessageLength));
    it('trailing octets', () => decodeFails(hex('20010002 00000001 00020003  04040001  08044000 00000000'), ErrorCode.IncorrectMessageLength));
    it('version 3', () => decodeFails(hex('600b0000 00000001 00020003'), ErrorCode.UnsupportedVersion));
    it('unknown primitive', () => {
      const e = decodeFails(hex('20630000 00000001 00020003'), ErrorCode.UnknownPrimitive);
      assert.deepEqual([e.header?.conferenceId, e.header?.transactionId, e.header?.userId], [1, 2, 3]);
    });
    it('F bit over TCP (version 1)', () => decodeFails(hex('280b0000 00000001 00020003 00000000'), ErrorCode.UnableToParseMessage, /F bit/));
    it('a fragment is not taken as a message', () =>
      decodeFails(hex('480b0001 00000001 00020003 00000001 00000000'), ErrorCode.UnableToParseMessage, /fragment/));
    it('attribute length below 2', () => decodeFails(hex('20010001 00000001 00020003  04010001'), ErrorCode.UnableToParseMessage));
    it('attribute running past the payload', () => decodeFails(hex('20010001 00000001 00020003  04080001'), ErrorCode.UnableToParseMessage));
    it('non-zero padding', () => decodeFails(hex('20010002 00000001 00020003 04040001 10037a01'), ErrorCode.UnableToParseMessage, /padding/));
    it('Unsigned16 attribute of the wrong length', () => decodeFails(hex('20010002 00000001 00020003  04060001 00000000'), ErrorCode.UnableToParseMessage));
    it('FloorRequest without FLOOR-ID', () => decodeFails(hex('20010000 00000001 00020003'), ErrorCode.UnableToParseMessage));
    it('FloorRelease with two FLOOR-REQUEST-IDs', () => decodeFails(hex('20020002 00000001 00020003 06040001 06040002'), ErrorCode.UnableToParseMessage));
    it('unknown request status', () => decodeFails(hex('30040004 00000001 00020003 1e100007 24080007 0a040900 22040001'), ErrorCode.UnableToParseMessage));
    it('invalid UTF-8 text', () => decodeFails(hex('300d0002 00000001 00020003 0c030a00 0e03ff00'), ErrorCode.UnableToParseMessage, /UTF-8/));
    it('unknown mandatory attribute: code 4 naming it', () => {
      const e = decodeFails(hex('20010002 00000001 00020003  04040001  29040000'), ErrorCode.UnknownMandatoryAttribute);
      assert.deepEqual(e.unknownAttributes, [20]);
    });
    it('unknown mandatory attribute inside a grouped one', () => {
      decodeFails(hex('30040004 00000001 00020003 1e100007 22040001 29040000 0a040300'), ErrorCode.UnknownMandatoryAttribute);
    });
    it('unknown attribute without M is ignored', () => {
      const m = decodeBfcp(hex('20010002 00000001 00020003  04040001  28040000'));
      assert.equal(m.primitive, 'FloorRequest');
    });
  });

  describe('encoding refuses what does not fit', () => {
    const base = { version: 1, responder: false, conferenceId: 1, transactionId: 1, userId: 1 } as const;
    it('a grouped attribute over 255 octets', () => {
      assert.throws(
        () =>
          encodeBfcp({
            ...base,
            primitive: 'FloorRequestStatus',
            floorRequestInformation: { floorRequestId: 1, floorRequestStatus: [{ floorId: 1 }], participantProvidedInfo: 'x'.repeat(260) },
          }),
        BfcpEncodeError,
      );
    });
    it('a user id over 16 bits', () => assert.throws(() => encodeBfcp({ ...base, userId: 70000, primitive: 'Hello' }), BfcpEncodeError));
    it('a FloorRequest without floors', () => assert.throws(() => encodeBfcp({ ...base, primitive: 'FloorRequest', floorIds: [] }), BfcpEncodeError));
  });

  describe('TCP stream framer', () => {
    const msgs = sampleMessages().map(encodeBfcp);
    const stream = Buffer.concat(msgs);

    it('messages split one octet at a time', () => {
      const f = new BfcpStreamFramer();
      const out = [...stream].flatMap((b) => f.push(Uint8Array.of(b)));
      assert.deepEqual(out, msgs);
      assert.equal(f.pending, 0);
    });

    it('messages coalesced in one read, and cut at odd places', () => {
      const f = new BfcpStreamFramer();
      assert.deepEqual([...f.push(stream.subarray(0, 13)), ...f.push(stream.subarray(13, 500)), ...f.push(stream.subarray(500))], msgs);
    });

    it('a header announcing a huge message is refused before buffering it', () => {
      const f = new BfcpStreamFramer(4096);
      assert.throws(() => f.push(hex('2001ffff 00000001')), BfcpDecodeError);
      assert.equal(f.pending, 0);
    });
  });
});
