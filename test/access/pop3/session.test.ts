/** POP3 sessions over real sockets: RFC 1939 commands, UPDATE semantics, locking, TLS, SASL. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { message } from '../../helpers/messages.js';
import { RawClient, startPop3, unstuff, type Pop3Harness } from './harness.js';

/** What a message looks like on the wire: every bare LF as CRLF. Independent of src/. */
const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

const corpus = {
  crlf: message({ subject: 'crlf', messageId: '<a@t>' }),
  bareLf: message({ subject: 'bare lf', messageId: '<b@t>', eol: '\n', body: 'line 1\nline 2\n.hidden dot\n..two dots\n.\nlast\n' }),
  noFinalNewline: Buffer.from('Subject: no final newline\r\nMessage-ID: <c@t>\r\n\r\nends here without a newline'),
  noBody: Buffer.from('Subject: header only\nMessage-ID: <d@t>\n'),
  dotFirst: Buffer.from('Subject: dots\r\nMessage-ID: <e@t>\r\n\r\n.\r\n.x\r\nx.\r\n'),
};

async function inboxBlobs(h: Pop3Harness, user = 'bob'): Promise<Buffer[]> {
  const drop = await h.ctx.store.maildrops.snapshot(user);
  return Promise.all(drop.messages.map((m) => readFile(h.ctx.blobs.pathOf(m.blob))));
}

describe('POP3 session', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    for (const m of Object.values(corpus)) await h.deliver('bob@example.test', m);
  });
  after(() => h.close());

  it('serves every message byte for byte, with LIST sizes equal to the octets received', async () => {
    const c = await RawClient.connect(h.port);
    assert.match(await c.login(), /^\+OK bob's maildrop has 5 messages/);
    const stored = await inboxBlobs(h);
    const stat = await c.command('STAT');
    assert.match(await c.command('LIST'), /^\+OK 5 messages/);
    const sizes = (await c.multiline()).toString().trim().split('\r\n').map((l) => Number(l.split(' ')[1]));
    let total = 0;
    for (let i = 0; i < stored.length; i++) {
      assert.match(await c.command(`RETR ${i + 1}`), new RegExp(`^\\+OK ${sizes[i]} octets`));
      const received = unstuff(await c.multiline());
      // The stored bytes, CRLF'd; a message without a final newline gets the one CRLF "." needs.
      const raw = crlf(stored[i]!);
      const expected = raw.length > 0 && !raw.subarray(-2).equals(Buffer.from('\r\n')) ? Buffer.concat([raw, Buffer.from('\r\n')]) : raw;
      assert.deepEqual(received, expected, `message ${i + 1}`);
      assert.equal(received.length, sizes[i], `LIST size of message ${i + 1}`);
      total += received.length;
    }
    assert.equal(stat, `+OK 5 ${total}`);
    assert.equal(await c.command('QUIT'), '+OK Bye (0 messages deleted)');
    await c.waitClosed();
  });

  it('dot-stuffs lines that start with "." and sends bare LF as CRLF', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    await c.command('RETR 2');
    const wire = (await c.multiline()).toString('latin1');
    assert.ok(wire.includes('\r\n..hidden dot\r\n...two dots\r\n..\r\nlast\r\n'), wire);
    assert.ok(!/[^\r]\n/.test(wire), 'no bare LF on the wire');
    await c.command('RETR 5');
    assert.ok((await c.multiline()).toString('latin1').endsWith('\r\n\r\n..\r\n..x\r\nx.\r\n'));
    await c.command('QUIT');
  });

  it('TOP sends the header, the blank line and n body lines, also with bare LF and without a body', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    assert.equal(await c.command('TOP 2 2'), '+OK top of message follows');
    const top2 = unstuff(await c.multiline()).toString('latin1');
    assert.ok(top2.endsWith('Message-ID: <b@t>\r\n\r\nline 1\r\nline 2\r\n'), top2);
    await c.command('TOP 2 0');
    assert.ok(unstuff(await c.multiline()).toString('latin1').endsWith('<b@t>\r\n\r\n'));
    await c.command('TOP 4 10');
    const headerOnly = crlf((await inboxBlobs(h))[3]!);
    assert.deepEqual(unstuff(await c.multiline()), headerOnly);
    await c.command('TOP 3 99');
    assert.ok(unstuff(await c.multiline()).toString().endsWith('\r\n\r\nends here without a newline\r\n'));
    assert.equal(await c.command('TOP 9 1'), '-ERR No such message');
    await c.command('QUIT');
  });

  it('UIDLs are <UIDVALIDITY>.<UID> and do not change between sessions', async () => {
    const drop = await h.ctx.store.maildrops.snapshot('bob');
    const c = await RawClient.connect(h.port);
    await c.login();
    await c.command('UIDL');
    const first = (await c.multiline()).toString();
    assert.equal(first, drop.messages.map((m, i) => `${i + 1} ${drop.uidValidity}.${m.uid}\r\n`).join(''));
    assert.equal(await c.command('UIDL 3'), `+OK 3 ${drop.uidValidity}.${drop.messages[2]!.uid}`);
    await c.command('QUIT');
    const d = await RawClient.connect(h.port);
    await d.login('robert@example.test', 'bobpw');
    await d.command('UIDL');
    assert.equal((await d.multiline()).toString(), first);
    await d.command('QUIT');
  });

  it('answers pipelined commands in order', async () => {
    const c = await RawClient.connect(h.port);
    c.socket.write('USER bob\r\nPASS bobpw\r\nSTAT\r\nNOOP\r\nLIST 1\r\nUIDL 1\r\nBOGUS\r\nQUIT\r\n');
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push(await c.line());
    assert.deepEqual(
      replies.map((r) => r.split(' ')[0]),
      ['+OK', '+OK', '+OK', '+OK', '+OK', '+OK', '-ERR', '+OK'],
    );
    assert.match(replies[4]!, /^\+OK 1 \d+$/);
    await c.waitClosed();
  });

  it('answers a long pipelined burst over several turns of the event loop, letting other sessions in', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    let writes = 0;
    c.socket.on('data', () => writes++);
    // 200 commands in one packet: answered all in one turn, they would leave in one write.
    c.socket.write('NOOP\r\n'.repeat(200));
    for (let i = 0; i < 200; i++) assert.equal(await c.line(), '+OK');
    assert.ok(writes >= 3, `the 200 replies arrived in ${writes} piece(s)`);
    await c.command('QUIT');
  });

  it('refuses commands in the wrong state and malformed ones', async () => {
    const c = await RawClient.connect(h.port);
    assert.equal(await c.command('STAT'), '-ERR Log in first');
    assert.equal(await c.command('PASS x'), '-ERR Send USER first');
    assert.equal(await c.command('RETR'), '-ERR Usage: RETR message-number');
    assert.match(await c.command('APOP bob 0123456789abcdef0123456789abcdef'), /^-ERR APOP is not available/);
    assert.equal(await c.command('X'.repeat(10_000)), '-ERR Command line too long');
    await c.login();
    assert.equal(await c.command('USER bob'), '-ERR Command not valid in this state');
    assert.equal(await c.command('RETR 0'), '-ERR Usage: RETR message-number');
    assert.equal(await c.command('RETR 99'), '-ERR No such message');
    await c.command('QUIT');
  });
});

describe('POP3 UPDATE state and maildrop lock', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    for (let i = 0; i < 4; i++) await h.deliver('jane@example.test', message({ subject: `m${i}`, messageId: `<m${i}@t>`, to: 'jane@example.test' }));
  });
  after(() => h.close());
  const count = async () => (await h.ctx.store.maildrops.snapshot('jane')).messages.length;

  it('a connection dropped after DELE deletes nothing', async () => {
    const c = await RawClient.connect(h.port);
    await c.login('jane', 'janepw');
    assert.equal(await c.command('DELE 1'), '+OK Message 1 deleted');
    assert.equal(await c.command('DELE 2'), '+OK Message 2 deleted');
    assert.equal(await c.command('STAT').then((s) => s.split(' ')[1]), '2');
    c.destroy();
    // The lock is released once the server notices, and all four are still there.
    const d = await retryLogin(h, 'jane', 'janepw');
    assert.equal(await d.command('STAT').then((s) => s.split(' ')[1]), '4');
    await d.command('QUIT');
    assert.equal(await count(), 4);
  });

  it('a second session gets [IN-USE] while the first holds the maildrop', async () => {
    const c = await RawClient.connect(h.port);
    await c.login('jane', 'janepw');
    const d = await RawClient.connect(h.port);
    assert.equal(await d.login('jane@example.test', 'janepw'), '-ERR [IN-USE] Maildrop already in use by another session');
    await c.command('QUIT');
    await c.waitClosed();
    assert.match(await d.login('jane', 'janepw'), /^\+OK/);
    await d.command('QUIT');
  });

  it('RSET unmarks; DELE then QUIT removes exactly the marked messages', async () => {
    const before = await h.ctx.store.maildrops.snapshot('jane');
    const c = await RawClient.connect(h.port);
    await c.login('jane', 'janepw');
    await c.command('DELE 1');
    assert.match(await c.command('RSET'), /^\+OK Maildrop has 4 messages/);
    await c.command('DELE 2');
    await c.command('DELE 4');
    assert.equal(await c.command('DELE 4'), '-ERR Message 4 already deleted');
    assert.equal(await c.command('RETR 2'), '-ERR No such message');
    assert.equal(await c.command('QUIT'), '+OK Bye (2 messages deleted)');
    const left = (await h.ctx.store.maildrops.snapshot('jane')).messages.map((m) => m.uid);
    assert.deepEqual(left, [before.messages[0]!.uid, before.messages[2]!.uid]);
  });
});

/** After a client drops, the server releases the lock when it sees the close: retry briefly. */
async function retryLogin(h: Pop3Harness, user: string, pw: string): Promise<RawClient> {
  for (let i = 0; ; i++) {
    const c = await RawClient.connect(h.port);
    const r = await c.login(user, pw);
    if (r.startsWith('+OK')) return c;
    c.destroy();
    if (i > 50) throw new Error(r);
    await new Promise((res) => setTimeout(res, 20));
  }
}
