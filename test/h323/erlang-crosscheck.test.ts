/**
 * Cross-check of the aligned PER codec against Erlang's asn1 compiler on the same ITU-T
 * modules (read from $H323_ASN1_DIR): seeded random values of the top-level H.225/H.245 types
 * must encode byte for byte as Erlang does, our decoder must read Erlang's octets back to the
 * same value, and Erlang must decode our octets to the same term.
 */
import assert from 'node:assert/strict';
import { perDecode, perEncode, valuesEqual } from '../../src/h323/per';
import * as h225 from '../../src/h323/asn1/generated/h225';
import * as h235 from '../../src/h323/asn1/generated/h235';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnType, AsnValue } from '../../src/h323/asn1/types';
import { compileErlangModules, runErlang } from './support/erlang';
import { envPath, hasCommand } from './support/env';
import { skipSuite } from '../support/skip';
import { erlangTerm } from './support/erlang-terms';
import { BMP_LATIN1, Rng, randomValue } from './support/random-values';
import { sampleMessages } from './support/sample-messages';

const TITLE = 'H.323 PER cross-check with Erlang asn1';
const asn1Dir = envPath('H323_ASN1_DIR');

const SUBJECTS: readonly { module: string; name: string; type: AsnType; count: number }[] = [
  { module: 'H323-MESSAGES', name: 'RasMessage', type: h225.RasMessage, count: 400 },
  { module: 'H323-MESSAGES', name: 'H323-UserInformation', type: h225.H323_UserInformation, count: 300 },
  { module: 'MULTIMEDIA-SYSTEM-CONTROL', name: 'MultimediaSystemControlMessage', type: h245.MultimediaSystemControlMessage, count: 500 },
  { module: 'MULTIMEDIA-SYSTEM-CONTROL', name: 'OpenLogicalChannel', type: h245.OpenLogicalChannel, count: 100 },
  { module: 'MULTIMEDIA-SYSTEM-CONTROL', name: 'TerminalCapabilitySet', type: h245.TerminalCapabilitySet, count: 100 },
  { module: 'MULTIMEDIA-SYSTEM-CONTROL', name: 'GenericCapability', type: h245.GenericCapability, count: 50 },
  { module: 'H235-SECURITY-MESSAGES', name: 'CryptoToken', type: h235.CryptoToken, count: 50 },
];

if (!asn1Dir) skipSuite(TITLE, 'H323_ASN1_DIR is not set');
else if (!hasCommand('erl', ['-noshell', '-eval', 'halt().']) || !hasCommand('erlc', []))
  skipSuite(TITLE, 'erl/erlc (Debian erlang-nox erlang-asn1) not installed');
else {
  describe(TITLE, function () {
    this.timeout(600_000);
    let erlDir = '';
    let compared = 0;
    before(() => {
      erlDir = compileErlangModules(asn1Dir);
    });
    after(() => console.log(`      ${compared} values identical to Erlang's encoding and decoded both ways`));

    for (const s of SUBJECTS) {
      it(`${s.name}: ${s.count} seeded values match Erlang both ways`, () => {
        const rng = new Rng(0x323 + s.count + s.name.length);
        const values: AsnValue[] = [];
        const cases: { module: string; type: string; term: string; ours: Uint8Array }[] = [];
        for (let i = 0; i < s.count; i++) {
          const v = randomValue(s.type, rng, { maxDepth: 7, bmpAlphabet: BMP_LATIN1 });
          values.push(v);
          cases.push({ module: s.module, type: s.name, term: erlangTerm(s.type, v), ours: perEncode(s.type, v) });
        }
        const results = runErlang(erlDir, cases);
        assert.equal(results.length, cases.length);
        const failures: string[] = [];
        let erlangBroken = 0;
        results.forEach((r, i) => {
          const ours = Buffer.from(cases[i]!.ours).toString('hex');
          if (r.hex === undefined) {
            failures.push(`#${i} Erlang refused: ${r.error}\n  term ${cases[i]!.term.slice(0, 400)}`);
            return;
          }
          if (!r.selfConsistent) {
            // Erlang cannot read its own octets: only check that it reads ours to the value.
            erlangBroken++;
            if (!r.decodesOurs) failures.push(`#${i} Erlang decodes ours differently: ${r.error?.slice(0, 300)}`);
            return;
          }
          if (r.hex !== ours) failures.push(`#${i} encodings differ\n  erlang ${r.hex}\n  ours   ${ours}\n  term ${cases[i]!.term.slice(0, 600)}`);
          else if (!r.decodesOurs) failures.push(`#${i} Erlang decodes ours differently: ${r.error?.slice(0, 300)}`);
          try {
            const back = perDecode(s.type, Buffer.from(r.hex, 'hex'));
            if (!valuesEqual(back, values[i]!)) failures.push(`#${i} our decode of Erlang's octets differs from the value`);
          } catch (e) {
            failures.push(`#${i} our decoder rejects Erlang's octets: ${String(e)}\n  erlang ${r.hex}\n  term ${cases[i]!.term.slice(0, 600)}`);
          }
        });
        assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${cases.length} failed`);
        compared += cases.length - erlangBroken;
        if (erlangBroken) console.log(`      (${erlangBroken} values where Erlang's encoder is not self-consistent: checked one way only)`);
      });
    }

    it('the messages the gateway builds encode exactly as Erlang encodes them', () => {
      const samples = sampleMessages();
      const results = runErlang(
        erlDir,
        samples.map((m) => ({ module: m.module, type: m.typeName, term: erlangTerm(m.type, m.value), ours: perEncode(m.type, m.value) })),
      );
      results.forEach((r, i) => {
        const m = samples[i]!;
        assert.equal(r.hex, Buffer.from(perEncode(m.type, m.value)).toString('hex'), `${m.name}: ${r.error ?? ''}`);
        assert.ok(r.decodesOurs, `${m.name}: Erlang decodes ours differently`);
      });
      compared += samples.length;
    });
  });
}
