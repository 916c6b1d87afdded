/**
 * Connecting and logging in against the fake server: every login method, TLS both ways, and that
 * every refusal comes back as the right kind of Pop3Error with a message that says what to fix.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Pop3Client, Pop3Error, type Pop3ClientOptions } from '../../../src/collect/pop3-client/index.js';
import { startFakePop3, type FakePop3Options, type FakePop3Server } from '../../fixtures/fake-pop3-server.js';
import { selfSignedCert, type TestCert } from '../../fixtures/self-signed.js';

let cert: TestCert;
before(async () => {
  cert = await selfSignedCert();
});

const servers: FakePop3Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fake(options: FakePop3Options = {}): Promise<FakePop3Server> {
  const s = await startFakePop3({ messages: [Buffer.from('Subject: a\r\n\r\nbody\r\n')], ...options });
  servers.push(s);
  return s;
}

function opts(server: FakePop3Server, more: Partial<Pop3ClientOptions> = {}): Pop3ClientOptions {
  return { host: '127.0.0.1', port: server.port, security: 'none', user: 'bob', password: 'secret', timeoutMs: 2000, ...more };
}

async function connectFails(options: Pop3ClientOptions): Promise<Pop3Error> {
  try {
    const c = await Pop3Client.connect(options);
    c.close();
  } catch (e) {
    assert.ok(e instanceof Pop3Error, `expected a Pop3Error, got ${String(e)}`);
    return e;
  }
  assert.fail('connect should have failed');
}

describe('login methods', () => {
  test('auto uses AUTH PLAIN when CAPA lists SASL PLAIN', async () => {
    const s = await fake();
    const c = await Pop3Client.connect(opts(s));
    assert.deepEqual(await c.stat(), { count: 1, size: 20 });
    await c.quit();
    assert.ok(s.commands.some((l) => l.startsWith('AUTH PLAIN ')));
    assert.ok(!s.commands.some((l) => l.startsWith('USER')));
  });

  test('auto falls back to USER/PASS without SASL, and without CAPA at all', async () => {
    for (const capabilities of [['USER', 'UIDL'], null]) {
      const s = await fake({ capabilities });
      const c = await Pop3Client.connect(opts(s));
      assert.equal((await c.stat()).count, 1);
      await c.quit();
      assert.deepEqual(s.commands.filter((l) => /^(USER|PASS)/.test(l)), ['USER bob', 'PASS secret']);
    }
  });

  test('APOP uses the greeting timestamp', async () => {
    const s = await fake({ apop: true });
    const c = await Pop3Client.connect(opts(s, { auth: 'apop' }));
    await c.noop();
    await c.quit();
    assert.match(s.commands.find((l) => l.startsWith('APOP')) ?? '', /^APOP bob [0-9a-f]{32}$/);
  });

  test('APOP without a timestamp in the greeting is a clear error, before sending anything', async () => {
    const s = await fake();
    const e = await connectFails(opts(s, { auth: 'apop' }));
    assert.match(e.message, /greeting has no timestamp/);
    assert.ok(!s.commands.some((l) => l.startsWith('APOP')));
  });

  test('AUTH PLAIN too long for one line goes without an initial response', async () => {
    const password = 'p'.repeat(300);
    const s = await fake({ users: { bob: password } });
    const c = await Pop3Client.connect(opts(s, { password, auth: 'plain' }));
    await c.quit();
    assert.ok(s.commands.includes('AUTH PLAIN'));
  });
});

describe('TLS', () => {
  test('STLS, then CAPA again, with the certificate trusted through ca', async () => {
    const s = await fake({ tls: cert });
    const c = await Pop3Client.connect(opts(s, { security: 'starttls', ca: cert.cert, servername: 'localhost' }));
    assert.equal(c.secure, true);
    assert.equal((await c.stat()).count, 1);
    await c.quit();
    const stls = s.commands.indexOf('STLS');
    assert.ok(stls > 0 && s.commands.slice(stls).includes('CAPA'), 'capabilities are read again after STLS');
  });

  test('implicit TLS with verification off for a self-signed test server', async () => {
    const s = await fake({ tls: cert, implicitTls: true });
    const c = await Pop3Client.connect(opts(s, { security: 'tls', rejectUnauthorized: false }));
    assert.equal((await c.stat()).count, 1);
    await c.quit();
  });

  test('an untrusted certificate fails with kind tls and says what to change', async () => {
    for (const security of ['tls', 'starttls'] as const) {
      const s = await fake({ tls: cert, implicitTls: security === 'tls' });
      const e = await connectFails(opts(s, { security, label: 'collector isp-bob' }));
      assert.equal(e.kind, 'tls', security);
      assert.equal(e.temporary, false);
      assert.match(e.message, /^collector isp-bob: TLS with 127\.0\.0\.1:\d+ failed: TLS handshake failed: .*self-signed/);
      assert.match(e.message, /set security: none or fix the certificate/);
    }
  });

  test('starttls against a server without STLS refuses before sending the password', async () => {
    const s = await fake();
    const e = await connectFails(opts(s, { security: 'starttls' }));
    assert.equal(e.kind, 'tls');
    assert.match(e.message, /does not offer STLS/);
    assert.ok(!s.commands.some((l) => /^(PASS|AUTH|USER)/.test(l)));
  });

  test('plaintext injected after the STLS answer is refused', async () => {
    const s = await fake({ tls: cert, faults: { afterStls: Buffer.from('+OK injected\r\n') } });
    const e = await connectFails(opts(s, { security: 'starttls', rejectUnauthorized: false }));
    assert.equal(e.kind, 'protocol');
    assert.match(e.message, /unexpected bytes after the STLS answer/);
  });
});

describe('refusals', () => {
  const cases: Array<{ reply: string; kind: Pop3Error['kind']; temporary: boolean; respCode?: string; message: RegExp }> = [
    { reply: '-ERR [AUTH] Authentication failed.', kind: 'auth', temporary: false, respCode: 'AUTH', message: /wrong user name or password for 127\.0\.0\.1:\d+ \(user bob\): check the collector's user and password/ },
    { reply: '-ERR bad password', kind: 'auth', temporary: false, message: /wrong user name or password.*server said: bad password/ },
    { reply: '-ERR [IN-USE] Mailbox locked', kind: 'locked', temporary: true, respCode: 'IN-USE', message: /locked by another session \(IN-USE\): another program or collector is downloading from it/ },
    { reply: '-ERR maildrop already locked', kind: 'locked', temporary: true, message: /locked by another session/ },
    { reply: '-ERR [SYS/TEMP] try later', kind: 'refused', temporary: true, respCode: 'SYS/TEMP', message: /problem on the server \(SYS\/TEMP\)/ },
    { reply: '-ERR [SYS/PERM] account disabled', kind: 'refused', temporary: false, respCode: 'SYS/PERM', message: /contact the mail provider/ },
    { reply: '-ERR [LOGIN-DELAY] wait', kind: 'refused', temporary: true, respCode: 'LOGIN-DELAY', message: /poll this collector less often/ },
  ];
  for (const c of cases) {
    test(`login answered "${c.reply}"`, async () => {
      for (const auth of ['user', 'plain'] as const) {
        const s = await fake({ faults: { loginReply: c.reply } });
        const e = await connectFails(opts(s, { auth, label: 'collector isp-bob' }));
        assert.equal(e.kind, c.kind, auth);
        assert.equal(e.temporary, c.temporary);
        assert.equal(e.respCode, c.respCode);
        assert.match(e.message, /^collector isp-bob: /);
        assert.match(e.message, c.message);
        assert.ok(!e.message.includes('secret'), 'the password never appears in a message');
      }
    });
  }

  test('a real wrong password', async () => {
    const s = await fake();
    const e = await connectFails(opts(s, { password: 'wrong' }));
    assert.equal(e.kind, 'auth');
  });

  test('-ERR greeting', async () => {
    const s = await fake({ faults: { greeting: '-ERR [SYS/TEMP] too many connections' } });
    const e = await connectFails(opts(s));
    assert.equal(e.kind, 'refused');
    assert.match(e.message, /too many connections/);
  });

  test('nothing listening', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const e = await connectFails({ host: '127.0.0.1', port, security: 'none', user: 'u', password: 'p', timeoutMs: 2000 });
    assert.equal(e.kind, 'network');
    assert.equal(e.temporary, true);
    assert.match(e.message, /connection refused: nothing listens on that port/);
  });

  test('a greeting that never comes times out', async () => {
    const s = await fake({ faults: { stall: 'greeting' } });
    const started = Date.now();
    const e = await connectFails(opts(s, { timeoutMs: 150 }));
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /did not answer in time \(no answer to the greeting within 150 ms\)/);
    assert.ok(Date.now() - started < 1500);
  });

  test('a PASS that is never answered times out', async () => {
    const s = await fake({ capabilities: ['USER'], faults: { stall: 'PASS' } });
    const e = await connectFails(opts(s, { timeoutMs: 150 }));
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /PASS/);
  });
});
