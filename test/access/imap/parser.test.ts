/**
 * The command parser against RFC 3501's formal syntax: a table of accepted commands with what they
 * parse to, and a table of malformed ones that must be BAD with a reason (and the tag when one
 * was readable).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand } from '../../../src/access/imap/parser/command.js';
import { formatSequenceSet, inSequenceSet } from '../../../src/access/imap/parser/sequence.js';
import type { ImapCommand } from '../../../src/access/imap/parser/types.js';

const parse = (s: string | Buffer) => parseCommand(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

const accepted: Array<[string, ImapCommand]> = [
  ['a1 CAPABILITY', { name: 'CAPABILITY' }],
  ['a1 noop', { name: 'NOOP' }],
  ['x.y LOGIN bob "p a\\"s\\\\s"', { name: 'LOGIN', user: 'bob', password: 'p a"s\\s' }],
  ['t LOGIN {3}\r\nbob {5+}\r\nbobpw', { name: 'LOGIN', user: 'bob', password: 'bobpw' }],
  ['t LOGIN "" ""', { name: 'LOGIN', user: '', password: '' }],
  ['t AUTHENTICATE plain', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: null }],
  ['t AUTHENTICATE PLAIN AGJvYgBib2Jwdw==', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: 'AGJvYgBib2Jwdw==' }],
  ['t ID NIL', { name: 'ID', params: null }],
  ['t ID ("name" "mutt" "version" NIL)', { name: 'ID', params: [['name', 'mutt'], ['version', null]] }],
  ['t ENABLE CONDSTORE utf8=accept', { name: 'ENABLE', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] }],
  ['t SELECT inbox', { name: 'SELECT', mailbox: 'inbox' }],
  ['t EXAMINE "Possible duplicates"', { name: 'EXAMINE', mailbox: 'Possible duplicates' }],
  ['t CREATE "a/b]c"', { name: 'CREATE', mailbox: 'a/b]c' }],
  ['t RENAME old {3}\r\nnew', { name: 'RENAME', from: 'old', to: 'new' }],
  ['t LIST "" *', { name: 'LIST', reference: '', patterns: ['*'], selectOptions: [], returnOptions: [] }],
  ['t LIST "" %/x]', { name: 'LIST', reference: '', patterns: ['%/x]'], selectOptions: [], returnOptions: [] }],
  [
    't LIST (SUBSCRIBED) "" ("INBOX" "Sent") RETURN (SPECIAL-USE children)',
    { name: 'LIST', reference: '', patterns: ['INBOX', 'Sent'], selectOptions: ['SUBSCRIBED'], returnOptions: ['SPECIAL-USE', 'CHILDREN'] },
  ],
  ['t LSUB "" "*"', { name: 'LSUB', reference: '', pattern: '*' }],
  ['t STATUS INBOX (MESSAGES uidnext UNSEEN)', { name: 'STATUS', mailbox: 'INBOX', items: ['MESSAGES', 'UIDNEXT', 'UNSEEN'] }],
  ['t EXPUNGE', { name: 'EXPUNGE', uid: false, set: null }],
  ['t UID EXPUNGE 3:5,9', { name: 'EXPUNGE', uid: true, set: [{ start: 3, end: 5 }, { start: 9, end: 9 }] }],
  ['t FETCH 1:* FAST', { name: 'FETCH', uid: false, set: [{ start: 1, end: '*' }], items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }] }],
  ['t FETCH *:4 flags', { name: 'FETCH', uid: false, set: [{ start: '*', end: 4 }], items: [{ kind: 'FLAGS' }] }],
  [
    't UID FETCH 7 (UID BODY.PEEK[1.2.MIME] BODY[]<0.100> RFC822.HEADER)',
    {
      name: 'FETCH',
      uid: true,
      set: [{ start: 7, end: 7 }],
      items: [
        { kind: 'UID' },
        { kind: 'BODY[]', peek: true, section: { part: [1, 2], text: 'MIME', fields: [] }, partial: null },
        { kind: 'BODY[]', peek: false, section: { part: [], text: null, fields: [] }, partial: { start: 0, length: 100 } },
        { kind: 'RFC822.HEADER' },
      ],
    },
  ],
  [
    't FETCH 2 BODY[HEADER.FIELDS.NOT (Received "X-Spam")]',
    { name: 'FETCH', uid: false, set: [{ start: 2, end: 2 }], items: [{ kind: 'BODY[]', peek: false, section: { part: [], text: 'HEADER.FIELDS.NOT', fields: ['RECEIVED', 'X-SPAM'] }, partial: null }] },
  ],
  ['t FETCH 2 (BODY BODYSTRUCTURE)', { name: 'FETCH', uid: false, set: [{ start: 2, end: 2 }], items: [{ kind: 'BODY' }, { kind: 'BODYSTRUCTURE' }] }],
  ['t FETCH 2 BODY[3.TEXT]', { name: 'FETCH', uid: false, set: [{ start: 2, end: 2 }], items: [{ kind: 'BODY[]', peek: false, section: { part: [3], text: 'TEXT', fields: [] }, partial: null }] }],
  ['t STORE 1,3 +FLAGS.SILENT (\\seen $Junk)', { name: 'STORE', uid: false, set: [{ start: 1, end: 1 }, { start: 3, end: 3 }], mode: 'add', silent: true, flags: ['\\Seen', '$Junk'] }],
  ['t UID STORE 5 FLAGS \\Deleted \\Flagged', { name: 'STORE', uid: true, set: [{ start: 5, end: 5 }], mode: 'replace', silent: false, flags: ['\\Deleted', '\\Flagged'] }],
  ['t STORE 1 -FLAGS ()', { name: 'STORE', uid: false, set: [{ start: 1, end: 1 }], mode: 'remove', silent: false, flags: [] }],
  ['t UID MOVE 1:3 Trash', { name: 'MOVE', uid: true, set: [{ start: 1, end: 3 }], mailbox: 'Trash' }],
  ['t COPY 2 "Sent"', { name: 'COPY', uid: false, set: [{ start: 2, end: 2 }], mailbox: 'Sent' }],
  ['t SEARCH ALL', { name: 'SEARCH', uid: false, charset: null, criteria: { op: 'all' } }],
  [
    't UID SEARCH CHARSET utf-8 OR FROM "bob" (SUBJECT {4}\r\nhi x SINCE 1-Feb-2026) NOT 2:4 UID 9:*',
    {
      name: 'SEARCH',
      uid: true,
      charset: 'UTF-8',
      criteria: {
        op: 'and',
        keys: [
          {
            op: 'or',
            a: { op: 'header', field: 'FROM', value: 'bob' },
            b: { op: 'and', keys: [{ op: 'header', field: 'SUBJECT', value: 'hi x' }, { op: 'date', of: 'internal', cmp: 'since', date: '2026-02-01' }] },
          },
          { op: 'not', key: { op: 'seq', set: [{ start: 2, end: 4 }] } },
          { op: 'uid', set: [{ start: 9, end: '*' }] },
        ],
      },
    },
  ],
  [
    't SEARCH UNSEEN LARGER 100 HEADER X-Id "" SENTBEFORE "05-Mar-2025" KEYWORD $Work',
    {
      name: 'SEARCH',
      uid: false,
      charset: null,
      criteria: {
        op: 'and',
        keys: [
          { op: 'flag', flag: '\\Seen', set: false },
          { op: 'size', cmp: 'larger', octets: 100 },
          { op: 'header', field: 'X-ID', value: '' },
          { op: 'date', of: 'sent', cmp: 'before', date: '2025-03-05' },
          { op: 'flag', flag: '$Work', set: true },
        ],
      },
    },
  ],
  ['t IDLE', { name: 'IDLE' }],
  ['t UNSELECT', { name: 'UNSELECT' }],
];

describe('IMAP parser: accepted commands', () => {
  for (const [line, expected] of accepted) {
    it(JSON.stringify(line).slice(0, 90), () => {
      const r = parse(line);
      assert.ok(r.ok, !r.ok ? r.text : '');
      assert.equal(r.tag, line.split(' ')[0]);
      assert.deepEqual(r.command, expected);
    });
  }

  it('APPEND with flags, date-time and a literal message', () => {
    const r = parse('a APPEND Drafts (\\Draft) " 5-Mar-2026 14:30:00 +0100" {11}\r\nHello\r\nBob!');
    assert.ok(r.ok && r.command.name === 'APPEND');
    assert.deepEqual(r.command.flags, ['\\Draft']);
    assert.equal(r.command.date?.toISOString(), '2026-03-05T13:30:00.000Z');
    assert.ok(Buffer.isBuffer(r.command.message));
    assert.equal((r.command.message as Buffer).toString(), 'Hello\r\nBob!');
  });

  it('a literal may contain CRLF, NUL-free 8-bit text and look like a command', () => {
    const pw = 'x\r\nA2 LOGOUT ü';
    const r = parse(Buffer.concat([Buffer.from(`t LOGIN bob {${Buffer.byteLength(pw)}}\r\n`), Buffer.from(pw)]));
    assert.ok(r.ok && r.command.name === 'LOGIN');
    assert.equal(r.command.password, pw);
  });
});

const rejected: Array<[string, string | null, RegExp]> = [
  ['', null, /atom/],
  ['a1', 'a1', /space/],
  ['a+1 NOOP', null, /tag/],
  ['a1 FROB', 'a1', /command name/],
  ['a1  NOOP', 'a1', /command name|atom/],
  ['a1 NOOP extra', 'a1', /end of the command/],
  ['a1 LOGIN bob', 'a1', /space/],
  ['a1 LOGIN "bob pw', 'a1', /closing quote/],
  ['a1 LOGIN "b\\x" pw', 'a1', /backslash/],
  ['a1 LOGIN {5}\r\nbob', 'a1', /5 octets/],
  ['a1 LOGIN {3}bob x', 'a1', /CRLF/],
  ['a1 SELECT', 'a1', /space/],
  ['a1 FETCH 0 FLAGS', 'a1', /non-zero/],
  ['a1 FETCH 1: FLAGS', 'a1', /number/],
  ['a1 FETCH 1 (FLAGS', 'a1', /"\)"/],
  ['a1 FETCH 1 BODY[1.HEADER.FIELDS]', 'a1', /space/],
  ['a1 FETCH 1 BODY[MIME]', 'a1', /part number|HEADER/],
  ['a1 FETCH 1 BODY.PEEK', 'a1', /"\["/],
  ['a1 FETCH 1 BODY[]<1>', 'a1', /"\."/],
  ['a1 FETCH 1 FLAGZ', 'a1', /fetch attribute/],
  ['a1 FETCH 99999999999 FLAGS', 'a1', /2\^32/],
  ['a1 STORE 1 FLAGS.LOUD (\\Seen)', 'a1', /FLAGS/],
  ['a1 STORE 1 +FLAGS (\\Recent)', 'a1', /Recent/],
  ['a1 SEARCH', 'a1', /space/],
  ['a1 SEARCH FROM', 'a1', /space/],
  ['a1 SEARCH SINCE 31-Foo-2026', 'a1', /date/],
  ['a1 SEARCH BOGUS', 'a1', /search key/],
  ['a1 SEARCH ' + '('.repeat(100) + 'ALL' + ')'.repeat(100), 'a1', /nested/],
  ['a1 UID FROB 1', 'a1', /after UID/],
  ['a1 STATUS INBOX (MESSAGES BOGUS)', 'a1', /UIDNEXT/],
  ['a1 APPEND INBOX (\\Seen) "bad date" {1}\r\nx', 'a1', /date-time/],
  ['a1 APPEND INBOX hello', 'a1', /literal/],
  ['a1 LIST "" *x RETURN', 'a1', /space/],
];

describe('IMAP parser: malformed commands are BAD with a reason', () => {
  for (const [line, tag, reason] of rejected) {
    it(JSON.stringify(line).slice(0, 80), () => {
      const r = parse(line);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.tag, tag);
      assert.match(r.text, reason);
    });
  }
});

describe('sequence sets', () => {
  it('"*" is the largest number in use and ranges work in either order', () => {
    const r = parse('t FETCH 5:*,2 FLAGS');
    assert.ok(r.ok && r.command.name === 'FETCH');
    const set = r.command.set;
    assert.deepEqual([1, 2, 3, 4, 5, 6].filter((n) => inSequenceSet(set, n, 6)), [2, 5, 6]);
    // "5:*" in a mailbox of 3 means 3:5: message 3 is included (RFC 3501 6.4.8 example).
    assert.deepEqual([1, 2, 3].filter((n) => inSequenceSet(set, n, 3)), [2, 3]);
  });

  it('formats runs compactly', () => {
    assert.equal(formatSequenceSet([1, 2, 3, 7, 9, 10]), '1:3,7,9:10');
    assert.equal(formatSequenceSet([]), '');
  });
});
