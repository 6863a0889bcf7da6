/**
 * The RAS gatekeeper against a scripted endpoint speaking real UDP with the project's codec:
 * discovery, registration (full, lightweight, refused for each reason), admission, disengage,
 * location, unregistration, expiry by time to live, hostile datagrams, a failing directory, and
 * a clean close. Every datagram the gatekeeper sent is then dissected by tshark.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as h225 from '../../src/h323/asn1/generated/h225';
import type { ChoiceValue } from '../../src/h323/asn1/types';
import { perEncode } from '../../src/h323/per';
import * as ras from '../../src/h323/messages/ras';
import { aliasTexts, choicePath, get, getArray, getNumber, getString, h225IpPort, isSeq } from '../../src/h323/messages/read';
import type { AliasDirectory, DirectorySite } from '../../src/h323/ras/directory';
import { startGatekeeper, type Gatekeeper } from '../../src/h323/ras/gatekeeper';
import { RegistrationTable } from '../../src/h323/ras/registrations';
import { memoryLogger } from './support/memory-log';
import { RasClient } from './support/ras-client';
import { assertClean, dissect, requireTshark } from './support/tshark';

const GATEWAY = { ip: '127.0.0.1', port: 41720 };
const PHUOC_HOA: DirectorySite = { siteId: 'site-phuoc-hoa', name: 'Xã Phước Hòa', allowedNetworks: [] };
const HUYEN: DirectorySite = { siteId: 'site-huyen', name: 'Huyện', allowedNetworks: ['127.0.0.0/8'] };
const FAR: DirectorySite = { siteId: 'site-far', name: 'Xa', allowedNetworks: ['10.0.0.0/8'] };

/** The port the gatekeeper depends on, in memory (not the thing under test). */
function directory(): AliasDirectory & { lookups: string[] } {
  const sites = new Map<string, DirectorySite>([
    ['xa-phuoc-hoa', PHUOC_HOA],
    ['1001', PHUOC_HOA],
    ['huyen', HUYEN],
    ['far', FAR],
  ]);
  const lookups: string[] = [];
  return {
    lookups,
    async lookupAlias(alias) {
      lookups.push(alias);
      if (alias === 'db-down') throw new Error('connection refused');
      return sites.get(alias.toLowerCase()) ?? null;
    },
  };
}

const CONF = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const CALL = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const reason = (m: ChoiceValue): string | undefined => choicePath(get(m.value, 'rejectReason'), 1)[0];

describe('H.323 RAS gatekeeper', function () {
  this.timeout(30_000);
  let gk: Gatekeeper;
  let ep: RasClient;
  const dir = directory();
  const logged = memoryLogger();
  /** Replies to the second endpoint, dissected with the rest. */
  const otherReceived: Uint8Array[] = [];

  before(async () => {
    gk = await startGatekeeper({ port: 0, callSignalAddress: GATEWAY, directory: dir, log: logged.log, timeToLive: 300, minTimeToLive: 1 });
    ep = await RasClient.open(gk.address());
  });
  after(async () => {
    await ep.close();
    await gk.close();
  });

  const rrq =
    (aliases: string[], extra: Partial<ras.RrqOptions> = {}) =>
    (seq: number) =>
      ras.registrationRequest({ seq, callSignalAddress: { ip: '127.0.0.1', port: 31720 }, rasAddress: ep.address, aliases, timeToLive: 600, ...extra });

  it('binds to loopback by default', () => {
    assert.equal(gk.address().ip, '127.0.0.1');
  });

  it('GRQ: GCF with our identifier and RAS address; GRJ for another gatekeeper or unknown aliases', async () => {
    const gcf = await ep.request((seq) => ras.gatekeeperRequest({ seq, rasAddress: ep.address, aliases: ['1001'] }));
    assert.equal(gcf.choice, 'gatekeeperConfirm');
    assert.equal(getString(gcf.value, 'gatekeeperIdentifier'), 'diemcau');
    assert.deepEqual(h225IpPort(get(gcf.value, 'rasAddress')), gk.address());
    const other = await ep.request((seq) => withField(ras.gatekeeperRequest({ seq, rasAddress: ep.address }), 'gatekeeperIdentifier', 'other-gk'));
    assert.equal(other.choice, 'gatekeeperReject');
    assert.equal(reason(other), 'terminalExcluded');
    const unknown = await ep.request((seq) => ras.gatekeeperRequest({ seq, rasAddress: ep.address, aliases: ['nobody'] }));
    assert.equal(reason(unknown), 'terminalExcluded');
  });

  let endpointId = '';
  it('RRQ: RCF with an endpoint identifier, the gateway address and a capped time to live', async () => {
    const rcf = await ep.request(rrq(['1001', 'Xa-Phuoc-Hoa', 'HDX 8000']));
    assert.equal(rcf.choice, 'registrationConfirm');
    endpointId = getString(rcf.value, 'endpointIdentifier')!;
    assert.match(endpointId, /^ep-[0-9a-f]{12}$/);
    assert.equal(getNumber(rcf.value, 'timeToLive'), 300);
    assert.equal(getString(rcf.value, 'gatekeeperIdentifier'), 'diemcau');
    assert.deepEqual(getArray(rcf.value, 'callSignalAddress').map(h225IpPort), [GATEWAY]);
    assert.deepEqual(aliasTexts(getArray(rcf.value, 'terminalAlias')), ['1001', 'Xa-Phuoc-Hoa', 'HDX 8000']);
    const reg = gk.findEndpoint('xa-phuoc-hoa');
    assert.equal(reg?.endpointId, endpointId);
    assert.equal(reg.siteId, PHUOC_HOA.siteId);
    assert.deepEqual(reg.callSignalAddress, { ip: '127.0.0.1', port: 31720 });
    assert.deepEqual(reg.source, ep.address);
    assert.equal(gk.findSite(PHUOC_HOA.siteId)?.endpointId, endpointId);
    const again = await ep.request(rrq(['1001', 'Xa-Phuoc-Hoa', 'HDX 8000']));
    assert.equal(getString(again.value, 'endpointIdentifier'), endpointId, 'a full re-registration keeps the identifier');
    assert.equal(gk.registrations().length, 1);
  });

  it('lightweight RRQ (keepAlive) keeps the identifier; an unknown identifier needs a full registration', async () => {
    const before = gk.findEndpoint('1001')!.expiresAt.getTime();
    await sleep(20);
    const rcf = await ep.request(rrq([], { timeToLive: 120, keepAlive: { endpointId, gatekeeperId: 'diemcau' } }));
    assert.equal(rcf.choice, 'registrationConfirm');
    assert.equal(getString(rcf.value, 'endpointIdentifier'), endpointId);
    assert.equal(getNumber(rcf.value, 'timeToLive'), 120);
    assert.ok(gk.findEndpoint('1001')!.expiresAt.getTime() < before, 'the shorter TTL asked for was granted');
    const rrj = await ep.request(rrq([], { keepAlive: { endpointId: 'ep-000000000000', gatekeeperId: 'diemcau' } }));
    assert.equal(rrj.choice, 'registrationReject');
    assert.equal(reason(rrj), 'fullRegistrationRequired');
  });

  it('RRQ refused: unknown alias, aliases of two sites, a foreign network, an alias another site holds', async () => {
    assert.equal(reason(await ep.request(rrq(['stranger']))), 'invalidAlias');
    assert.equal(reason(await ep.request(rrq(['1001', 'huyen']))), 'invalidAlias');
    assert.equal(reason(await ep.request(rrq(['far']))), 'securityDenial');
    // huyen registers, then claims an alias that Phước Hòa's endpoint holds (one the directory does not know).
    const other = await RasClient.open(gk.address());
    try {
      const mk = (aliases: string[]) => (seq: number) =>
        ras.registrationRequest({ seq, callSignalAddress: { ip: '127.0.0.1', port: 31721 }, rasAddress: other.address, aliases });
      assert.equal((await other.request(mk(['huyen']))).choice, 'registrationConfirm');
      assert.equal(reason(await other.request(mk(['huyen', 'hdx 8000']))), 'duplicateAlias');
      assert.equal(gk.findEndpoint('HDX 8000')?.endpointId, endpointId, 'the holder keeps its registration');
      assert.equal(gk.registrations().length, 2);
    } finally {
      otherReceived.push(...other.received);
      await other.close();
    }
  });

  it('ARQ: a room (with PIN) is admitted to the gateway; strangers and unknown destinations are not', async () => {
    const arq = (o: Partial<ras.ArqOptions>) => (seq: number) =>
      ras.admissionRequest({
        seq,
        endpointId,
        srcAliases: ['1001'],
        destAliases: ['2001*1234'],
        bandwidth: 81920,
        callReference: 5,
        conferenceId: CONF,
        callId: CALL,
        answerCall: false,
        ...o,
      });
    const acf = await ep.request(arq({}));
    assert.equal(acf.choice, 'admissionConfirm');
    assert.deepEqual(h225IpPort(get(acf.value, 'destCallSignalAddress')), GATEWAY);
    assert.equal(getNumber(acf.value, 'bandWidth'), 40960, 'bandwidth capped');
    assert.deepEqual(choicePath(get(acf.value, 'callModel'), 1), ['direct']);
    assert.deepEqual([...gk.findEndpoint('1001')!.calls], ['40414243-4445-4647-4849-4a4b4c4d4e4f']);
    assert.equal(reason(await ep.request(arq({ destAliases: ['2001#99'] }))), undefined);
    assert.equal(reason(await ep.request(arq({ destAliases: ['bob'] }))), 'calledPartyNotRegistered');
    assert.equal(reason(await ep.request(arq({ endpointId: 'ep-forged' }))), 'callerNotRegistered');
    const answer = await ep.request(arq({ answerCall: true, destAliases: ['1001'] }));
    assert.deepEqual(h225IpPort(get(answer.value, 'destCallSignalAddress')), { ip: '127.0.0.1', port: 31720 }, 'answering: its own address');
  });

  it('DRQ: DCF ends the admitted call; DRJ for an unregistered endpoint', async () => {
    const drq = (id: string) => (seq: number) =>
      ras.disengageRequest({ seq, endpointId: id, conferenceId: CONF, callReference: 5, callId: CALL, answeredCall: false });
    assert.equal((await ep.request(drq(endpointId))).choice, 'disengageConfirm');
    assert.equal(gk.findEndpoint('1001')!.calls.size, 0);
    const drj = await ep.request(drq('ep-forged'));
    assert.equal(drj.choice, 'disengageReject');
    assert.equal(reason(drj), 'notRegistered');
  });

  it('LRQ: rooms are at the gateway, registered aliases at their endpoint, others unknown', async () => {
    const lrq = (alias: string) => (seq: number) => ras.locationRequest({ seq, destAliases: [alias], replyAddress: ep.address });
    const room = await ep.request(lrq('2001'));
    assert.equal(room.choice, 'locationConfirm');
    assert.deepEqual(h225IpPort(get(room.value, 'callSignalAddress')), GATEWAY);
    assert.deepEqual(h225IpPort(get(room.value, 'rasAddress')), gk.address());
    const site = await ep.request(lrq('XA-PHUOC-HOA'));
    assert.deepEqual(h225IpPort(get(site.value, 'callSignalAddress')), { ip: '127.0.0.1', port: 31720 });
    const none = await ep.request(lrq('nobody'));
    assert.equal(none.choice, 'locationReject');
    assert.equal(reason(none), 'notRegistered');
  });

  it('answers unimplemented requests with XRS and ignores undecodable datagrams', async () => {
    const xrs = await ep.request((seq) => choice('infoRequest', { requestSeqNum: seq, callReferenceValue: 0, callIdentifier: { guid: CALL } }));
    assert.equal(xrs.choice, 'unknownMessageResponse');
    const valid = perEncode(h225.RasMessage, rrq(['1001'])(7));
    // Sender and gatekeeper share this event loop: pace the burst so the socket buffer never overflows.
    for (let n = 0; n < valid.length; n++) {
      ep.sendRaw(valid.subarray(0, n));
      if (n % 20 === 19) await sleep(5);
    }
    for (let i = 0; i < 200; i++) {
      ep.sendRaw(Uint8Array.from({ length: (i % 40) + 1 }, (_, k) => (k * 37 + i * 11) & 0xff));
      if (i % 20 === 19) await sleep(5);
    }
    const gcf = await ep.request((seq) => ras.gatekeeperRequest({ seq, rasAddress: ep.address }));
    assert.equal(gcf.choice, 'gatekeeperConfirm', 'still answering');
    assert.ok(logged.records.some((r) => r.msg === 'RAS: undecodable datagram dropped'));
  });

  it('a failing directory is answered with RRJ resourceUnavailable', async () => {
    assert.equal(reason(await ep.request(rrq(['db-down']))), 'resourceUnavailable');
  });

  it('URQ: UCF, then URJ once unregistered', async () => {
    const urq = (seq: number) => ras.unregistrationRequest({ seq, callSignalAddress: { ip: '127.0.0.1', port: 31720 }, endpointId });
    assert.equal((await ep.request(urq)).choice, 'unregistrationConfirm');
    assert.equal(gk.findEndpoint('1001'), undefined);
    const urj = await ep.request(urq);
    assert.equal(reason(urj), 'notCurrentlyRegistered');
  });

  it('every datagram the gatekeeper sent decodes in tshark without errors', function () {
    requireTshark(this, this.test?.title ?? 'tshark check');
    const sent = [...ep.received, ...otherReceived];
    const frames = dissect(sent.map((payload) => ({ proto: 'udp' as const, sport: 1719, dport: 1719, payload })));
    assert.equal(frames.length, sent.length);
    assert.ok(frames.length >= 26, `${frames.length} datagrams`);
    frames.forEach((f, i) => {
      assertClean(f, `reply ${i}`);
    });
    const text = frames.join('\n');
    for (const m of [
      'gatekeeperConfirm',
      'gatekeeperReject',
      'registrationConfirm',
      'registrationReject',
      'admissionConfirm',
      'admissionReject',
      'disengageConfirm',
      'disengageReject',
      'locationConfirm',
      'locationReject',
      'unregistrationConfirm',
      'unregistrationReject',
      'unknownMessageResponse',
    ]) {
      assert.match(text, new RegExp(`RasMessage: ${m}`), m);
    }
    assert.match(text, /endpointIdentifier: ep-[0-9a-f]{12}/);
    assert.match(text, /timeToLive: 300/);
    assert.match(text, /fullRegistrationRequired/);
    assert.match(text, /duplicateAlias: 1 item/);
    assert.match(text, /tsapIdentifier|port: 41720/);
  });
});

describe('H.323 RAS registrations expire by time to live', function () {
  this.timeout(20_000);

  it('a silent endpoint is dropped after its TTL; a keep-alive holds it; close() leaves no timer', async () => {
    const logged = memoryLogger();
    const gk = await startGatekeeper({
      port: 0,
      callSignalAddress: GATEWAY,
      directory: directory(),
      log: logged.log,
      timeToLive: 1,
      minTimeToLive: 1,
      expiryGraceMs: 0,
    });
    const a = await RasClient.open(gk.address());
    const b = await RasClient.open(gk.address());
    try {
      const reg = (c: RasClient, alias: string, port: number) =>
        c.request((seq) =>
          ras.registrationRequest({ seq, callSignalAddress: { ip: '127.0.0.1', port }, rasAddress: c.address, aliases: [alias], timeToLive: 1 }),
        );
      const ra = await reg(a, '1001', 31800);
      await reg(b, 'huyen', 31801);
      assert.equal(gk.registrations().length, 2);
      const idA = getString(ra.value, 'endpointIdentifier')!;
      await sleep(600);
      await a.request((seq) =>
        ras.registrationRequest({
          seq,
          callSignalAddress: { ip: '127.0.0.1', port: 31800 },
          rasAddress: a.address,
          aliases: [],
          timeToLive: 1,
          keepAlive: { endpointId: idA, gatekeeperId: 'diemcau' },
        }),
      );
      await sleep(700);
      assert.deepEqual(
        gk.registrations().map((r) => r.siteId),
        [PHUOC_HOA.siteId],
        'huyen expired, Phước Hòa kept alive',
      );
      assert.ok(logged.records.some((r) => r.msg === 'RAS: registration expired' && r['siteId'] === HUYEN.siteId));
      await reg(b, 'huyen', 31801);
    } finally {
      await a.close();
      await b.close();
      await gk.close();
    }
    const expiredBefore = logged.records.filter((r) => r.msg === 'RAS: registration expired').length;
    await sleep(1300);
    assert.equal(logged.records.filter((r) => r.msg === 'RAS: registration expired').length, expiredBefore, 'no expiry fires after close');
    assert.deepEqual(gk.registrations(), []);
  });

  it('RegistrationTable.clear() cancels every expiry', async () => {
    let expired = 0;
    const t = new RegistrationTable(0, () => expired++);
    for (let i = 0; i < 5; i++) {
      t.put({
        endpointId: `e${i}`,
        siteId: 's',
        siteName: 'S',
        aliases: [`a${i}`],
        callSignalAddress: { ip: '127.0.0.1', port: i },
        rasAddress: { ip: '127.0.0.1', port: i },
        source: { ip: '127.0.0.1', port: i },
        timeToLive: 0.05,
      });
    }
    t.clear();
    await sleep(150);
    assert.equal(expired, 0);
    assert.equal(t.size, 0);
  });
});

/** A RAS choice built by hand (for fields the builders do not expose). */
function choice(name: string, value: ChoiceValue['value']): ChoiceValue {
  return { choice: name, value };
}
function withField(m: ChoiceValue, name: string, value: ChoiceValue['value']): ChoiceValue {
  assert.ok(isSeq(m.value));
  return { choice: m.choice, value: { ...m.value, [name]: value } };
}
