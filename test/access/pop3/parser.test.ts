/** The POP3 command parser, table-driven: every keyword, good and bad arguments, edge cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, type Pop3Command } from '../../../src/access/pop3/parser.js';

const accepted: Array<[string, Pop3Command]> = [
  ['CAPA', { kind: 'CAPA' }],
  ['capa', { kind: 'CAPA' }],
  ['StLs', { kind: 'STLS' }],
  ['USER bob', { kind: 'USER', name: 'bob' }],
  ['USER bob@example.test', { kind: 'USER', name: 'bob@example.test' }],
  ['PASS secret', { kind: 'PASS', password: 'secret' }],
  ['PASS with spaces  inside ', { kind: 'PASS', password: 'with spaces  inside ' }],
  ['APOP bob C4C9334BAC560ECC979E58001B3E22FB', { kind: 'APOP', name: 'bob', digest: 'c4c9334bac560ecc979e58001b3e22fb' }],
  ['AUTH', { kind: 'AUTH', mechanism: null, initialResponse: null }],
  ['AUTH plain', { kind: 'AUTH', mechanism: 'PLAIN', initialResponse: null }],
  ['AUTH PLAIN AGJvYgBib2Jwdw==', { kind: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AGJvYgBib2Jwdw==' }],
  ['AUTH PLAIN =', { kind: 'AUTH', mechanism: 'PLAIN', initialResponse: '=' }],
  ['STAT', { kind: 'STAT' }],
  ['LIST', { kind: 'LIST', msg: null }],
  ['LIST 2', { kind: 'LIST', msg: 2 }],
  ['LIST  2', { kind: 'LIST', msg: 2 }],
  ['UIDL', { kind: 'UIDL', msg: null }],
  ['uidl 17', { kind: 'UIDL', msg: 17 }],
  ['RETR 1', { kind: 'RETR', msg: 1 }],
  ['TOP 1 0', { kind: 'TOP', msg: 1, lines: 0 }],
  ['TOP 3 25', { kind: 'TOP', msg: 3, lines: 25 }],
  ['DELE 4', { kind: 'DELE', msg: 4 }],
  ['NOOP', { kind: 'NOOP' }],
  ['RSET', { kind: 'RSET' }],
  ['QUIT', { kind: 'QUIT' }],
];

const refused: Array<[string, RegExp]> = [
  ['', /Empty command/],
  ['HELO', /Unknown command/],
  ['RETRX 1', /Unknown command/],
  ['STAT 1', /takes no argument/],
  ['QUIT now', /takes no argument/],
  ['USER', /Usage: USER/],
  ['USER a b', /Usage: USER/],
  ['PASS', /Usage: PASS/],
  ['APOP bob', /Usage: APOP/],
  ['APOP bob nothex', /Usage: APOP/],
  ['LIST 0', /Usage: LIST/],
  ['LIST -1', /Usage: LIST/],
  ['LIST +1', /Usage: LIST/],
  ['LIST 1 2', /Usage: LIST/],
  ['LIST x', /Usage: LIST/],
  ['UIDL 1.5', /Usage: UIDL/],
  ['RETR', /Usage: RETR/],
  ['RETR 0', /Usage: RETR/],
  ['RETR 99999999999', /Usage: RETR/],
  ['DELE', /Usage: DELE/],
  ['TOP 1', /Usage: TOP/],
  ['TOP 0 1', /Usage: TOP/],
  ['TOP 1 -1', /Usage: TOP/],
  ['AUTH PLAIN a b', /Usage: AUTH/],
  [`USER ${'x'.repeat(260)}`, /too long/],
];

describe('POP3 parser', () => {
  for (const [line, command] of accepted) {
    it(`accepts ${JSON.stringify(line)}`, () => assert.deepEqual(parseCommand(line), { ok: true, command }));
  }
  for (const [line, error] of refused) {
    it(`refuses ${JSON.stringify(line.slice(0, 40))}`, () => {
      const r = parseCommand(line);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, error);
    });
  }
  it('lets AUTH lines be longer than other commands (RFC 5034 initial responses)', () => {
    assert.equal(parseCommand(`AUTH PLAIN ${'A'.repeat(1000)}`).ok, true);
    assert.equal(parseCommand(`AUTH PLAIN ${'A'.repeat(9000)}`).ok, false);
  });
});
