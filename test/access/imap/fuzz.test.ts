/**
 * Property test: random and mutated command lines never make the parser throw, and every result is
 * either a command or a BAD with a non-empty reason. A seeded generator keeps failures reproducible.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand } from '../../../src/access/imap/parser/command.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const seeds = [
  'a1 UID FETCH 1:*,7 (UID FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM TO)]<0.100> BODYSTRUCTURE)',
  'a2 SEARCH CHARSET UTF-8 OR (FROM "x" SINCE 1-Jan-2026) NOT UID 3:5 TEXT {3}\r\nabc',
  'a3 APPEND INBOX (\\Seen $x) "01-Feb-2026 10:00:00 +0000" {5}\r\nhello',
  'a4 STORE 1:3 +FLAGS.SILENT (\\Deleted)',
  'a5 LIST (SUBSCRIBED) "" ("INBOX" "Sent") RETURN (CHILDREN)',
  'a6 LOGIN {3+}\r\nbob "pw\\"x"',
  'a7 STATUS "Possible duplicates" (MESSAGES UIDNEXT UNSEEN)',
];
const alphabet = Buffer.from(' ()[]{}<>"\\*%:.,+-0123456789\r\nABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz\x00\x7f\xff');

function check(input: Buffer): void {
  let r;
  try {
    r = parseCommand(input);
  } catch (e) {
    assert.fail(`parser threw on ${JSON.stringify(input.toString('latin1'))}: ${String(e)}`);
  }
  if (!r.ok) assert.ok(r.text.length > 0, 'a BAD needs a reason');
}

describe('IMAP parser fuzz', () => {
  it('survives 20,000 mutations of valid commands', () => {
    const next = rng(5);
    for (let i = 0; i < 20_000; i++) {
      const base = Buffer.from(seeds[i % seeds.length]!, 'latin1');
      const bytes = [...base];
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (bytes.length + 1));
        const op = next();
        const ch = alphabet[Math.floor(next() * alphabet.length)]!;
        if (op < 0.4) bytes.splice(at, 1);
        else if (op < 0.7) bytes.splice(at, 0, ch);
        else bytes[at] = ch;
      }
      check(Buffer.from(bytes));
    }
  });

  it('survives 5,000 random lines and every prefix of the seeds', () => {
    const next = rng(11);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(next() * 80);
      check(Buffer.from(Array.from({ length: len }, () => alphabet[Math.floor(next() * alphabet.length)]!)));
    }
    for (const s of seeds) for (let n = 0; n <= s.length; n++) check(Buffer.from(s.slice(0, n), 'latin1'));
  });

  it('deep nesting and huge numbers are refused, not overflowed', () => {
    check(Buffer.from('a SEARCH ' + 'NOT '.repeat(10_000) + 'ALL'));
    check(Buffer.from('a SEARCH ' + '('.repeat(10_000)));
    check(Buffer.from('a FETCH 1 BODY[' + '1.'.repeat(5000) + '1]'));
    check(Buffer.from('a LOGIN {99999999999999999999}\r\n'));
    const r = parseCommand(Buffer.from('a SEARCH ' + 'NOT '.repeat(10_000) + 'ALL'));
    assert.equal(r.ok, false);
  });
});

describe('IMAP live session fuzz', () => {
  it('answers 1,500 mutated commands on a logged-in, selected session, each with a tagged response, and stays usable', async () => {
    const { RawImapClient, startImap } = await import('./harness.js');
    const { message } = await import('../../helpers/messages.js');
    const h = await startImap();
    try {
      await h.deliver('bob@example.test', message({}));
      const { client } = await RawImapClient.connect(h.port);
      await client.login();
      await client.command('SELECT INBOX');
      const next = rng(17);
      // Commands that change the conversation itself (literals, IDLE, TLS, logout) are left out:
      // what is fuzzed here is parsing and dispatch on a live connection.
      const live = seeds.filter((s) => !s.includes('{')).concat(['a8 FETCH 1 (BODY[1.MIME] BODYSTRUCTURE)', 'a9 UID SEARCH NOT DELETED']);
      for (let i = 0; i < 1500; i++) {
        const bytes = [...Buffer.from(live[i % live.length]!.slice(live[i % live.length]!.indexOf(' ') + 1), 'latin1')];
        for (let e = 0; e < 1 + Math.floor(next() * 3); e++) {
          const at = Math.floor(next() * (bytes.length + 1));
          const ch = alphabet[Math.floor(next() * alphabet.length)]!;
          if (next() < 0.5) bytes.splice(at, 1);
          else bytes.splice(at, 0, ch);
        }
        const text = Buffer.from(bytes).toString('latin1').replace(/[\r\n{]/g, '').replace(/\b(LOGOUT|IDLE|STARTTLS|AUTHENTICATE|CLOSE|UNSELECT|DELETE|EXPUNGE)\b/gi, 'NOOP');
        const r = await client.command(text);
        assert.match(r.tagged, /^A\d+ (OK|NO|BAD) /, text);
      }
      assert.match((await client.command('NOOP')).tagged, /OK/);
      client.destroy();
    } finally {
      await h.close();
    }
  });
});
