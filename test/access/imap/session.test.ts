/**
 * IMAP sessions over real sockets: framing and limits, states, login and TLS, APPEND streaming,
 * FETCH of sections and structures, mailbox management, flags, COPY/MOVE and SEARCH.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { filesUnder } from '../../helpers/files.js';
import { message } from '../../helpers/messages.js';
import { nestedMessage } from './fixtures.js';
import { RawImapClient, startImap, type ImapHarness } from './harness.js';

const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

describe('IMAP session', () => {
  let h: ImapHarness;
  before(async () => {
    h = await startImap({ limits: { maxCommand: 4096, maxAppend: 100_000 } });
    await h.deliver('bob@example.test', message({ subject: 'First', body: 'one\n', eol: '\n' }));
    await h.deliver('bob@example.test', nestedMessage);
  });
  after(() => h.close());

  const loggedIn = async (user = 'bob', pw = 'bobpw') => {
    const { client } = await RawImapClient.connect(h.port);
    assert.match((await client.login(user, pw)).tagged, /OK/);
    return client;
  };

  it('answers malformed commands with BAD and keeps the session', async () => {
    const { client, greeting } = await RawImapClient.connect(h.port);
    assert.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS.*AUTH=PLAIN/);
    assert.match((await client.command('FETCH 1 FLAGS')).tagged, /^A1 BAD FETCH: Log in first/);
    client.send('garbage\r\n');
    assert.match((await client.line()).toString(), /^garbage BAD expected a space at end of command/);
    client.send('(x) NOOP\r\n');
    assert.match((await client.line()).toString(), /^\* BAD expected an atom/);
    assert.match((await client.command('SEARCH (((')).tagged, /^A2 BAD /);
    assert.match((await client.command('NOOP')).tagged, /^A3 OK/);
    client.destroy();
  });

  it('refuses an oversized synchronizing literal without reading it, and closes on an endless line', async () => {
    const { client } = await RawImapClient.connect(h.port);
    client.send('L1 LOGIN {999999}\r\n');
    assert.match((await client.line()).toString(), /^L1 BAD \[TOOBIG\]/);
    assert.match((await client.command('NOOP')).tagged, /OK/);
    client.send('L2 NOOP ' + 'x'.repeat(5000));
    assert.match((await client.line()).toString(), /^L2 BAD Command line too long/);
    assert.match((await client.line()).toString(), /^\* BYE/);
    await client.waitClosed();
  });

  it('closes the connection on an oversized non-synchronizing literal (its octets cannot be skipped safely)', async () => {
    const { client } = await RawImapClient.connect(h.port);
    client.send('L1 LOGIN {999999+}\r\nA9 LOGOUT\r\n');
    assert.match((await client.line()).toString(), /^L1 BAD \[TOOBIG\]/);
    await client.waitClosed();
  });

  it('checks passwords and throttles failures', async () => {
    const { client } = await RawImapClient.connect(h.port);
    assert.match((await client.login('bob', 'wrong')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    assert.match((await client.login('nobody', 'x')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    assert.match((await client.login('jane', 'x')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    assert.match((await client.login('jane', 'x')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    assert.match((await client.login('jane', 'x')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    // Three failures for jane: refused without a password check, even the right one.
    assert.match((await client.login('jane', 'janepw')).tagged, /NO \[UNAVAILABLE\]/);
    assert.match((await client.login('robert@example.test', 'bobpw')).tagged, /OK \[CAPABILITY .*UIDPLUS/);
    assert.match((await client.command('LOGIN bob bobpw')).tagged, /BAD .*Already logged in/);
    client.destroy();
  });

  it('AUTHENTICATE PLAIN with a continuation and with SASL-IR', async () => {
    const creds = Buffer.from('\0bob\0bobpw').toString('base64');
    const { client } = await RawImapClient.connect(h.port);
    client.send('P1 AUTHENTICATE PLAIN\r\n');
    assert.equal((await client.line()).toString(), '+ ');
    client.send(creds + '\r\n');
    assert.match((await client.until('P1')).tagged, /^P1 OK/);
    client.destroy();
    const second = (await RawImapClient.connect(h.port)).client;
    assert.match((await second.command(`AUTHENTICATE PLAIN ${creds}`)).tagged, /OK/);
    second.destroy();
    const third = (await RawImapClient.connect(h.port)).client;
    third.send('P3 AUTHENTICATE PLAIN\r\n');
    await third.line();
    third.send('*\r\n');
    assert.match((await third.until('P3')).tagged, /^P3 BAD .*cancelled/);
    third.destroy();
  });

  it('STARTTLS discards what was pipelined in the clear; implicit TLS works', async () => {
    const { client } = await RawImapClient.connect(h.port);
    client.send('S1 STARTTLS\r\nS2 LOGIN bob bobpw\r\n');
    assert.match((await client.line()).toString(), /^S1 OK/);
    client.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: client.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const got: Buffer[] = [];
    secure.on('data', (d: Buffer) => got.push(d));
    secure.write('S3 CAPABILITY\r\n');
    await new Promise((r) => setTimeout(r, 200));
    const text = Buffer.concat(got).toString();
    assert.doesNotMatch(text, /S2/, 'the injected LOGIN must not run');
    assert.match(text, /\* CAPABILITY .*AUTH=PLAIN/);
    assert.doesNotMatch(text, /STARTTLS/);
    secure.destroy();
    const { client: t, greeting } = await RawImapClient.connect(h.tlsPort, { tls: true });
    assert.doesNotMatch(greeting, /STARTTLS/);
    assert.match((await t.login()).tagged, /OK/);
    t.destroy();
  });

  it('APPEND streams the message to the blob store, byte for byte, and answers APPENDUID', async () => {
    const client = await loggedIn();
    const body = Buffer.from('From: me@example.test\nSubject: draft\n\nline 1\nline 2\n');
    client.send(`D1 APPEND Drafts (\\Draft) "05-Mar-2026 14:30:00 +0100" {${body.length}}\r\n`);
    assert.match((await client.line()).toString(), /^\+ /);
    client.send(Buffer.concat([body, Buffer.from('\r\n')]));
    const r = await client.until('D1');
    const m = /^D1 OK \[APPENDUID (\d+) (\d+)\]/.exec(r.tagged);
    assert.ok(m, r.tagged);
    // Stored as sent: the file holds the literal's bytes exactly (bare LFs and all).
    const [row] = await h.ctx.store.imap.messages((await h.ctx.store.imap.get('bob', 'Drafts'))!.id, [Number(m[2])]);
    assert.deepEqual(await readFile(h.ctx.blobs.pathOf(row!.blob)), body);
    const filesBefore = await filesUnder(h.ctx.blobs.root);
    await client.command('SELECT Drafts');
    const f = await client.command(`UID FETCH ${m[2]} (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])`);
    const wire = crlf(body);
    assert.match(f.untagged[0]!, /FLAGS \(\\Draft\)/);
    assert.match(f.untagged[0]!, /INTERNALDATE "05-Mar-2026 13:30:00 \+0000"/);
    assert.match(f.untagged[0]!, new RegExp(`RFC822.SIZE ${wire.length} `));
    assert.ok(f.raw.includes(Buffer.concat([Buffer.from(`BODY[] {${wire.length}}\r\n`), wire, Buffer.from(')')])));
    // LITERAL+ and a missing mailbox: NO [TRYCREATE], and no file left behind.
    assert.match((await client.command('APPEND Nowhere {3+}\r\nabc')).tagged, /NO \[TRYCREATE\]/);
    assert.deepEqual(await filesUnder(h.ctx.blobs.root), filesBefore);
    client.send('D2 APPEND INBOX {200000}\r\n');
    assert.match((await client.line()).toString(), /^D2 NO \[TOOBIG\]/);
    client.destroy();
  });

  it('FETCH: ENVELOPE, BODYSTRUCTURE with a nested message, sections and partials', async () => {
    const client = await loggedIn();
    await client.command('EXAMINE INBOX');
    const s = await client.command('FETCH 2 (ENVELOPE BODYSTRUCTURE)');
    const line = s.untagged[0]!;
    assert.match(line, /ENVELOPE \("Tue, 24 Nov 2026 09:30:00 \+0100" "=\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?= and figures" \(\("Alice Example" NIL "alice" "remote.test"\)\)/);
    assert.match(line, /\(\(NIL NIL "bob" "example.test"\)\(NIL NIL "Team" NIL\)\(NIL NIL "jane" "example.test"\)\(NIL NIL "pat" "elsewhere.test"\)\(NIL NIL NIL NIL\)\)/);
    assert.match(line, /\("text" "plain" \("charset" "utf-8"\) NIL NIL "8bit" 42 2 NIL NIL NIL NIL\)/);
    assert.match(line, /\("message" "rfc822" NIL NIL NIL "7bit" \d+ \(NIL "Inner" \(\(NIL NIL "carol" "remote.test"\)\)/);
    assert.match(line, /"alternative" \("boundary" "inner"\) NIL NIL NIL\) \d+ NIL \("attachment" \("filename" "fwd.eml"\)\) NIL NIL\) "mixed"/);
    const b = await client.command('FETCH 2 (BODY[1] BODY[2.1] BODY[2.1.1] BODY[2.2]<3.5> BODY[2.HEADER.FIELDS (SUBJECT)] BODY[2.MIME] BODY[3] BODY[HEADER.FIELDS.NOT (RECEIVED FROM TO SUBJECT DATE MESSAGE-ID MIME-VERSION)])');
    const text = b.raw.toString('utf8');
    assert.ok(text.includes('BODY[1] {42}\r\nHello Bob,\r\nthe figures are below. Grüße'), text);
    // RFC 3501 6.4.5: "2.1" is the first part of the message inside part 2; a leaf has no part 1.
    assert.ok(text.includes('BODY[2.1] {11}\r\ninner plain'));
    assert.ok(text.includes('BODY[2.1.1] NIL'));
    assert.ok(text.includes('BODY[2.2]<3> {5}\r\ninner'));
    assert.ok(text.includes('BODY[2.HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Inner\r\n\r\n'));
    assert.ok(text.includes('BODY[2.MIME] {85}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="fwd.eml"\r\n\r\n'));
    assert.ok(text.includes('BODY[3] NIL'));
    assert.ok(text.includes('{51}\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n'), text);
    // EXAMINE is read-only: fetching the body did not set \Seen.
    assert.doesNotMatch((await client.command('FETCH 2 FLAGS')).untagged[0]!, /Seen/);
    // The structure is stored once per blob.
    const rows = await h.ctx.store.imap.messages((await h.ctx.store.imap.get('bob', 'INBOX'))!.id, [2]);
    assert.ok(await h.ctx.store.imap.structure(rows[0]!.blob));
    client.destroy();
  });

  it('served bytes equal RFC822.SIZE for LF-only messages', async () => {
    const client = await loggedIn();
    await client.command('SELECT INBOX');
    const r = await client.command('FETCH 1:2 (RFC822.SIZE RFC822)');
    for (const l of r.untagged) {
      const size = Number(/RFC822.SIZE (\d+)/.exec(l)![1]);
      const lit = Number(/RFC822 \{(\d+)\}/.exec(l)![1]);
      assert.equal(lit, size);
      const start = l.indexOf('}\r\n') + 3;
      assert.equal(Buffer.byteLength(l.slice(start, l.lastIndexOf(' FLAGS') >= 0 ? l.lastIndexOf(' FLAGS') : l.length - 1)), size);
    }
    client.destroy();
  });

  it('mailbox management: CREATE, RENAME with children, LIST CHILDREN, SUBSCRIBE, DELETE', async () => {
    const client = await loggedIn();
    assert.match((await client.command('CREATE Projects/2026')).tagged, /OK/);
    assert.match((await client.command('CREATE "Projekte &AOQ-"')).tagged, /OK/);
    assert.match((await client.command('CREATE INBOX')).tagged, /NO \[ALREADYEXISTS\]/);
    const l = await client.command('LIST "" "%"');
    assert.ok(l.untagged.includes('LIST (\\Noselect \\HasChildren) "/" "Projects"'), l.untagged.join('\n'));
    assert.ok(l.untagged.includes('LIST (\\HasNoChildren \\Sent) "/" "Sent"'));
    assert.ok(l.untagged.includes('LIST (\\HasNoChildren) "/" "Projekte &AOQ-"'));
    assert.match((await client.command('RENAME Projects/2026 Archive/2026')).tagged, /OK/);
    assert.match((await client.command('CREATE Archive/2026/Q1')).tagged, /OK/);
    assert.match((await client.command('DELETE Archive/2026')).tagged, /NO \[HASCHILDREN\]/);
    assert.match((await client.command('RENAME Archive Old')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await client.command('UNSUBSCRIBE Archive/2026/Q1')).tagged, /OK/);
    const sub = await client.command('LSUB "" "Archive/*"');
    assert.deepEqual(sub.untagged, ['LSUB (\\HasChildren) "/" "Archive/2026"']);
    assert.match((await client.command('DELETE Archive/2026/Q1')).tagged, /OK/);
    assert.match((await client.command('DELETE Trash')).tagged, /NO \[CANNOT\]/);
    assert.match((await client.command('STATUS "Projekte &AOQ-" (MESSAGES UIDNEXT UNSEEN)')).untagged[0]!, /MESSAGES 0 UIDNEXT 1 UNSEEN 0/);
    assert.ok(await h.ctx.store.imap.get('bob', 'Projekte ä'), 'modified UTF-7 names are stored decoded');
    client.destroy();
  });

  it('STORE, COPY with COPYUID, MOVE, EXPUNGE and UID EXPUNGE', async () => {
    const client = await loggedIn();
    await client.command('CREATE Work');
    await client.command('SELECT INBOX');
    const st = await client.command('STORE 1 +FLAGS ($Work \\Flagged)');
    assert.match(st.untagged[0]!, /^1 FETCH \(FLAGS \(.*\$Work \\Flagged\)\)$/);
    assert.deepEqual((await client.command('STORE 1 -FLAGS.SILENT ($Work)')).untagged, []);
    const cp = await client.command('COPY 1:2 Work');
    assert.match(cp.tagged, /OK \[COPYUID \d+ 1:2 1:2\]/);
    const wk = await client.command('STATUS Work (MESSAGES)');
    assert.match(wk.untagged[0]!, /MESSAGES 2/);
    await client.command('SELECT Work');
    const mv = await client.command('UID MOVE 1 Trash');
    assert.match(mv.untagged[0]!, /^OK \[COPYUID \d+ 1 \d+\]/);
    assert.equal(mv.untagged[1], '1 EXPUNGE');
    await client.command('STORE 1 +FLAGS (\\Deleted)');
    assert.deepEqual((await client.command('UID EXPUNGE 1')).untagged, [], 'UID 1 is gone already; UID 2 is not in the set');
    const ex = await client.command('EXPUNGE');
    assert.deepEqual(ex.untagged, ['1 EXPUNGE']);
    assert.match((await client.command('FETCH 1 FLAGS')).tagged, /BAD .*out of range/);
    client.destroy();
  });

  it('SEARCH with flags, headers (decoded), body text, dates, sizes and UIDs', async () => {
    const client = await loggedIn();
    await client.command('SELECT INBOX');
    const q = async (c: string) => (await client.command(c)).untagged[0];
    assert.equal(await q('SEARCH ALL'), 'SEARCH 1 2');
    assert.equal(await q('SEARCH SUBJECT "grüße"'), 'SEARCH 2');
    assert.match((await client.command('SEARCH SUBJECT grüße')).tagged, /BAD/, '8-bit octets are not atom characters');
    assert.equal(await q(`SEARCH CHARSET UTF-8 SUBJECT {${Buffer.byteLength('grüße')}+}\r\ngrüße`), 'SEARCH 2');
    assert.equal(await q('SEARCH BODY "inner html"'), 'SEARCH 2');
    assert.equal(await q('SEARCH TEXT carol'), 'SEARCH 2');
    assert.equal(await q('SEARCH FROM alice NOT BODY inner'), 'SEARCH 1');
    assert.equal(await q('SEARCH FLAGGED'), 'SEARCH 1');
    assert.equal(await q('SEARCH OR FLAGGED LARGER 500'), 'SEARCH 1 2');
    assert.equal(await q('SEARCH SENTON 24-Nov-2026'), 'SEARCH 2');
    assert.equal(await q('SEARCH SINCE 1-Jan-2020 BEFORE 1-Jan-2020'), 'SEARCH');
    assert.equal(await q('UID SEARCH 2:*'), 'SEARCH 2');
    assert.equal(await q('SEARCH HEADER Message-ID nested'), 'SEARCH 2');
    assert.match((await client.command('SEARCH CHARSET KOI8-R ALL')).tagged, /NO \[BADCHARSET/);
    client.destroy();
  });
});

describe('IMAP SEARCH decodes transfer encodings and charsets', () => {
  it('finds words in quoted-printable Latin-1 and base64 UTF-8 parts, not in their encoded form', async () => {
    const h = await startImap();
    try {
      const encoded = Buffer.from(
        [
          'Subject: encoded',
          'Content-Type: multipart/alternative; boundary=b',
          '',
          '--b',
          'Content-Type: text/plain; charset=iso-8859-1',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          'Gr=FC=DFe aus =',
          'K=F6ln',
          '--b',
          'Content-Type: text/html; charset=utf-8',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('<p>Ölmühle Straße</p>').toString('base64'),
          '--b--',
          '',
        ].join('\r\n'),
      );
      await h.deliver('bob@example.test', message({ subject: 'plain' }));
      await h.deliver('bob@example.test', encoded);
      const { client } = await RawImapClient.connect(h.port);
      await client.login();
      await client.command('SELECT INBOX');
      const q = async (needle: string) => (await client.command(`SEARCH CHARSET UTF-8 BODY {${Buffer.byteLength(needle)}+}\r\n${needle}`)).untagged[0];
      assert.equal(await q('grüße aus köln'), 'SEARCH 2', 'QP soft line break joined, Latin-1 decoded, case folded');
      assert.equal(await q('ÖLMÜHLE'), 'SEARCH 2', 'base64 decoded, non-ASCII case folded');
      assert.equal(await q('=FC=DF'), 'SEARCH', 'the encoded form is not text');
      assert.equal((await client.command('SEARCH TEXT "straße"')).untagged[0], 'SEARCH 2');
      client.destroy();
    } finally {
      await h.close();
    }
  });
});

describe('IMAP FETCH of a large message (streamed, header not kept in the structure)', () => {
  it('BODY[HEADER], BODY[TEXT] and BODY[] of a message with a 20 KB header and a 700 KB LF-only body', async () => {
    const h = await startImap();
    try {
      const extra = Array.from({ length: 300 }, (_, i) => `X-Filler-${i}: ${'h'.repeat(60)}`);
      const body = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'b'.repeat(60)}`).join('\n') + '\n';
      const big = message({ subject: 'big', extraHeaders: extra, body, eol: '\n' });
      await h.deliver('bob@example.test', big);
      const { client } = await RawImapClient.connect(h.port);
      await client.login();
      await client.command('SELECT INBOX');
      const r = await client.command('FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[])', 20_000);
      const raw = r.raw.toString('latin1');
      const size = Number(/RFC822.SIZE (\d+)/.exec(raw)![1]);
      const literal = (label: string) => {
        const at = raw.indexOf(`${label} {`);
        const n = Number(/\{(\d+)\}/.exec(raw.slice(at))![1]);
        const start = raw.indexOf('}\r\n', at) + 3;
        return raw.slice(start, start + n);
      };
      const all = literal('BODY[]');
      assert.equal(all.length, size);
      assert.ok(!/[^\r]\n/.test(all), 'every LF is served as CRLF');
      const header = literal('BODY[HEADER]');
      assert.ok(header.length > 16 * 1024);
      assert.equal(header + literal('BODY[TEXT]'), all);
      assert.ok(all.endsWith(`line 9999 ${'b'.repeat(60)}\r\n`));
      client.destroy();
    } finally {
      await h.close();
    }
  });
});
