/**
 * The client against a real POP3 server: Debian's Dovecot started privately by the harness in
 * test/fixtures/dovecot.ts. Dovecot serves CRLF for the LF files we seed, so expectations are
 * the seeds with CRLF line ends (`crlf`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Pop3Client, Pop3Error, type BodyStream, type Pop3ClientOptions } from '../../../src/collect/pop3-client/index.js';
import { crlf, startDovecot, type DovecotInstance } from '../../fixtures/dovecot.js';

/** 50 messages with 8-bit bytes, long lines and lines that start with dots. */
const seeded = Array.from({ length: 50 }, (_, i) => {
  const n = i + 1;
  const lines = [
    `Message-ID: <seed${n}@isp.test>`,
    `Subject: seed ${n} caf\xe9`,
    'Content-Type: text/plain; charset=iso-8859-1',
    '',
    '.leading dot',
    '..two',
    '.',
    `8-bit: \xe9\xe8\xff\x80 ${n}`,
    n % 5 === 0 ? 'W'.repeat(20_000 + n) : 'short',
    'end',
  ];
  return Buffer.from(lines.join('\n') + '\n', 'latin1');
});
const expected = seeded.map(crlf);
const few = (tag: string) => Array.from({ length: 5 }, (_, i) => Buffer.from(`Message-ID: <${tag}${i}@isp.test>\nSubject: ${tag}\n\nbody ${i}\n`));

let isp: DovecotInstance;
before(async () => {
  isp = await startDovecot({
    users: [
      { name: 'bob', password: 'bobpw', messages: seeded },
      { name: 'carol', password: 'carolpw', messages: few('carol') },
      { name: 'dave', password: 'davepw', messages: few('dave') },
    ],
    // Dovecot locks a POP3 session only when asked; with it, a second session gets [IN-USE].
    extraConfig: 'protocol pop3 {\n  pop3_lock_session = yes\n}',
  });
});
after(async () => {
  await isp?.stop();
});

function opts(more: Partial<Pop3ClientOptions> = {}): Pop3ClientOptions {
  return { host: '127.0.0.1', port: isp.ports.pop3, security: 'none', user: 'bob', password: 'bobpw', timeoutMs: 10_000, ...more };
}

async function readAll(body: BodyStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('Dovecot as the ISP', () => {
  test('USER/PASS in plain text: STAT, LIST, UIDL, RETR of 50 messages byte for byte', async () => {
    const c = await Pop3Client.connect(opts({ auth: 'user' }));
    assert.deepEqual(await c.stat(), { count: 50, size: expected.reduce((n, m) => n + m.length, 0) });
    assert.deepEqual(await c.list(), expected.map((m, i) => ({ id: i + 1, size: m.length })));
    const uids = await c.uidl();
    assert.equal(new Set(uids.map((u) => u.uid)).size, 50);
    assert.deepEqual(await c.uidlOne(7), uids[6]);
    for (let id = 1; id <= 50; id++) {
      assert.ok((await readAll(await c.retr(id))).equals(expected[id - 1]!), `message ${id}`);
    }
    await c.quit();
  });

  test('STLS with the certificate trusted, AUTH PLAIN, pipelined retrieveMany', async () => {
    const c = await Pop3Client.connect(opts({ security: 'starttls', ca: isp.cert!.cert, servername: 'localhost' }));
    assert.equal(c.secure, true);
    assert.equal(c.pipelining, true, 'Dovecot announces PIPELINING');
    const got: Buffer[] = [];
    const result = await c.retrieveMany(expected.map((_, i) => i + 1), async (id, body) => {
      got[id - 1] = await readAll(body);
    });
    assert.equal(result.retrieved.length, 50);
    expected.forEach((m, i) => assert.ok(got[i]?.equals(m), `message ${i + 1}`));
    await c.quit();
    // SASL is listed only before login, so the log is where the method shows.
    assert.match(await isp.log(), /pop3-login: Info: Login: user=<bob>, method=PLAIN.*TLS/);
  });

  test('implicit TLS, and TOP n 0 gives the header', async () => {
    const c = await Pop3Client.connect(opts({ security: 'tls', port: isp.ports.pop3s!, ca: isp.cert!.cert, servername: 'localhost' }));
    const header = (await readAll(await c.top(3, 0))).toString('latin1');
    assert.equal(header, 'Message-ID: <seed3@isp.test>\r\nSubject: seed 3 caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n');
    await c.quit();
  });

  test('APOP with the greeting timestamp', async () => {
    const c = await Pop3Client.connect(opts({ auth: 'apop' }));
    assert.match(c.greeting, /<[^>]+>/);
    assert.equal((await c.stat()).count, 50);
    await c.quit();
  });

  test('the self-signed certificate is refused unless trusted', async () => {
    const e = await Pop3Client.connect(opts({ security: 'starttls', label: 'collector isp-bob' })).catch((x: unknown) => x);
    assert.ok(e instanceof Pop3Error && e.kind === 'tls', String(e));
  });

  test('a wrong password is kind auth with Dovecot\'s [AUTH] code', async () => {
    const e = await Pop3Client.connect(opts({ password: 'nope', label: 'collector isp-bob' })).catch((x: unknown) => x);
    assert.ok(e instanceof Pop3Error, String(e));
    assert.equal(e.kind, 'auth');
    assert.equal(e.respCode, 'AUTH');
    assert.match(e.message, /^collector isp-bob: wrong user name or password for 127\.0\.0\.1:\d+ \(user bob\)/);
  });

  test('a second session on a locked mailbox is kind locked ([IN-USE])', async () => {
    const first = await Pop3Client.connect(opts({ user: 'carol', password: 'carolpw' }));
    // Dovecot waits for the session dotlock (about 10-14 s here) before it answers [IN-USE].
    const e = await Pop3Client.connect(opts({ user: 'carol', password: 'carolpw', timeoutMs: 30_000 })).catch((x: unknown) => x);
    await first.quit();
    assert.ok(e instanceof Pop3Error, String(e));
    assert.equal(e.kind, 'locked');
    assert.equal(e.respCode, 'IN-USE');
    assert.equal(e.temporary, true);
  });

  test('DELE then a dropped connection keeps the messages; DELE then QUIT removes them', async () => {
    let c = await Pop3Client.connect(opts({ user: 'dave', password: 'davepw' }));
    await c.dele(1);
    await c.dele(2);
    c.close();
    // Dovecot may still hold the lock of the dropped session for a moment.
    c = await connectWhenUnlocked(opts({ user: 'dave', password: 'davepw' }));
    assert.equal((await c.stat()).count, 5, 'nothing deleted without QUIT');
    await c.dele(1);
    await c.dele(2);
    await c.quit();
    c = await Pop3Client.connect(opts({ user: 'dave', password: 'davepw' }));
    const left = await Promise.all([1, 2, 3].map(async (id) => (await readAll(await c.top(id, 0))).toString()));
    assert.deepEqual(left.map((h) => /<(dave\d)@/.exec(h)?.[1]), ['dave2', 'dave3', 'dave4']);
    await c.quit();
  });
});

describe('the harness also serves IMAP (for the IMAP collector and benchmarks)', () => {
  for (const [name, port, secure] of [['STARTTLS', () => isp.ports.imap, false], ['implicit TLS', () => isp.ports.imaps!, true]] as const) {
    test(`IMAP over ${name}: INBOX holds the seeded messages`, async () => {
      const imap = new ImapFlow({
        host: '127.0.0.1', port: port(), secure, doSTARTTLS: !secure ? true : undefined,
        tls: { ca: isp.cert!.cert, servername: 'localhost' },
        auth: { user: 'bob', pass: 'bobpw' }, logger: false,
      });
      await imap.connect();
      const box = await imap.mailboxOpen('INBOX', { readOnly: true });
      assert.equal(box.exists, 50);
      await imap.logout();
    });
  }
});

async function connectWhenUnlocked(options: Pop3ClientOptions): Promise<Pop3Client> {
  for (let i = 0; ; i++) {
    try {
      return await Pop3Client.connect(options);
    } catch (e) {
      if (!(e instanceof Pop3Error && e.kind === 'locked') || i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
