/**
 * The committed descriptors in src/h323/asn1/generated must be exactly what the generator makes
 * from the ITU-T modules in $H323_ASN1_DIR (so nobody edits them by hand), and the ASN.1 lexer
 * must follow X.680's comment rules the modules rely on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize } from '../../src/h323/asn1/gen/lexer';
import { generate } from '../../src/h323/asn1/gen/main';
import { parseModule } from '../../src/h323/asn1/gen/parser';
import { envPath } from './support/env';
import { skipFor } from '../support/skip';

const asn1Dir = envPath('H323_ASN1_DIR');

describe('ASN.1 descriptor generator', () => {
  it('ends a -- comment at the next -- or the end of the line', () => {
    const toks = tokenize('A ::= SEQUENCE-- c1 --{ a INTEGER -- c2\n, b NULL }').map((t) => t.text);
    assert.deepEqual(toks, ['A', '::=', 'SEQUENCE', '{', 'a', 'INTEGER', ',', 'b', 'NULL', '}']);
  });

  it('parses extensions, constraints, parameterised types and open types', () => {
    const m = parseModule(`M DEFINITIONS AUTOMATIC TAGS ::= BEGIN
      P{X} ::= SEQUENCE { x X, n INTEGER (0..16383, ...) }
      S ::= SEQUENCE { a IA5String (SIZE (1) ^ FROM ("0123")), ..., b P{BOOLEAN} OPTIONAL }
      O ::= TYPE-IDENTIFIER.&Type(S)
      L ::= SEQUENCE SIZE (1..4) OF BIT STRING (SIZE (16))
      END`);
    const s = m.assignments.find((a) => a.name === 'S')!.type;
    assert.deepEqual(s, {
      t: 'sequence',
      root: [{ name: 'a', optional: false, type: { t: 'string', kind: 'IA5String', size: { lb: 1, ub: 1 }, alphabet: '0123' } }],
      additions: [{ name: 'b', optional: true, type: { t: 'ref', name: 'P', args: [{ t: 'boolean' }] } }],
    });
    assert.deepEqual(m.assignments.find((a) => a.name === 'P')!.type, {
      t: 'sequence',
      root: [
        { name: 'x', optional: false, type: { t: 'ref', name: 'X' } },
        { name: 'n', optional: false, type: { t: 'integer', range: { lb: 0, ub: 16383, extensible: true } } },
      ],
    });
    assert.deepEqual(m.assignments.find((a) => a.name === 'O')!.type, { t: 'open', of: { t: 'ref', name: 'S' } });
    assert.deepEqual(m.assignments.find((a) => a.name === 'L')!.type, {
      t: 'sequenceof',
      size: { lb: 1, ub: 4 },
      of: { t: 'bitstring', size: { lb: 16, ub: 16 } },
    });
  });

  it(`committed descriptors equal the generator's output`, function () {
    if (!asn1Dir) skipFor(this, 'generated H.323 descriptors', 'H323_ASN1_DIR is not set');
    const out = generate(asn1Dir);
    for (const [stem, src] of out) {
      const committed = readFileSync(join(__dirname, '../../../src/h323/asn1/generated', `${stem}.ts`), 'utf8');
      assert.ok(committed === src, `src/h323/asn1/generated/${stem}.ts is stale: regenerate it`);
    }
  });
});
