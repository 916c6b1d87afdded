/** POP3 logins over real sockets: TLS, STLS, SASL PLAIN, throttling, plaintext policy. */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Pop3Listener } from '../../../src/access/pop3/server.js';
import { RawClient, startPop3, type Pop3Harness } from './harness.js';

const plain = (authzid: string, user: string, pw: string) => Buffer.from(`${authzid}\0${user}\0${pw}`).toString('base64');
const capaOf = async (c: RawClient) => {
  assert.equal(await c.command('CAPA'), '+OK Capability list follows');
  return (await c.multiline()).toString().trim().split('\r\n');
};

describe('POP3 authentication', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
  });
  after(() => h.close());

  it('CAPA lists the extensions, STLS only before TLS, logins only in AUTHORIZATION', async () => {
    const c = await RawClient.connect(h.port);
    const caps = await capaOf(c);
    for (const cap of ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN', 'STLS', 'IMPLEMENTATION Postroom']) {
      assert.ok(caps.includes(cap), `${cap} in ${caps.join(', ')}`);
    }
    assert.equal(await c.startTls(), '+OK Begin TLS negotiation');
    const secured = await capaOf(c);
    assert.ok(!secured.includes('STLS') && secured.includes('USER'));
    assert.equal(await c.command('STLS'), '-ERR Already using TLS');
    assert.match(await c.login(), /^\+OK/);
    const inTransaction = await capaOf(c);
    assert.ok(!inTransaction.includes('USER') && !inTransaction.includes('SASL PLAIN') && inTransaction.includes('UIDL'));
    await c.command('QUIT');
  });

  it('commands sent in the clear right after STLS are discarded, not run inside TLS', async () => {
    const c = await RawClient.connect(h.port);
    c.socket.write('STLS\r\nUSER bob\r\n');
    assert.equal(await c.line(), '+OK Begin TLS negotiation');
    c.socket.removeAllListeners('data');
    const { connect } = await import('node:tls');
    const secure = connect({ socket: c.socket, rejectUnauthorized: false });
    await new Promise((r) => secure.once('secureConnect', r));
    secure.write('PASS bobpw\r\n');
    const reply = await new Promise<string>((r) => secure.once('data', (d: Buffer) => r(d.toString())));
    assert.equal(reply, '-ERR Send USER first\r\n');
    secure.destroy();
  });

  it('logs in over implicit TLS (pop3s)', async () => {
    const c = await RawClient.connect(h.tlsPort, { tls: true });
    assert.ok(!(await capaOf(c)).includes('STLS'));
    assert.match(await c.login('bob@example.test', 'bobpw'), /^\+OK bob's maildrop/);
    await c.command('QUIT');
  });

  it('AUTH PLAIN with an initial response, with a continuation, and cancelled', async () => {
    const c = await RawClient.connect(h.port);
    assert.equal(await c.command('AUTH'), '+OK Mechanisms follow');
    assert.equal((await c.multiline()).toString(), 'PLAIN\r\n');
    assert.equal(await c.command('AUTH CRAM-MD5'), '-ERR Unsupported authentication mechanism');
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.equal(await c.command('*'), '-ERR Authentication cancelled');
    assert.equal(await c.command('AUTH PLAIN not-base64!'), '-ERR [AUTH] Malformed PLAIN response');
    assert.equal(await c.command(`AUTH PLAIN ${plain('jane', 'bob', 'bobpw')}`), '-ERR [AUTH] Authorization identity must be empty or your own');
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.match(await c.command(plain('', 'bob', 'bobpw')), /^\+OK bob's maildrop/);
    await c.command('QUIT');
    const d = await RawClient.connect(h.port);
    assert.match(await d.command(`AUTH PLAIN ${plain('bob', 'bob', 'bobpw')}`), /^\+OK/);
    await d.command('QUIT');
  });

  it('throttles failed logins per user: slower answers, then [SYS/TEMP] even for the right password', async () => {
    const c = await RawClient.connect(h.port);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = Date.now();
      assert.equal(await c.login('jane', 'wrong'), '-ERR [AUTH] Authentication failed');
      times.push(Date.now() - t);
    }
    // fastThrottle: 20, 40, 80, 80 ms before each answer.
    assert.ok(times[0]! >= 18 && times[2]! >= 75, `delays ${times.join(', ')}`);
    assert.equal(await c.login('jane', 'janepw'), '-ERR [SYS/TEMP] Too many failed logins, try again later');
    // Another user from the same address is not locked out by jane's failures.
    assert.match(await c.login('bob', 'bobpw'), /^\+OK/);
    await c.command('QUIT');
  });

  it('unknown users fail like wrong passwords', async () => {
    const c = await RawClient.connect(h.port);
    assert.equal(await c.login('nobody', 'x'), '-ERR [AUTH] Authentication failed');
    await c.command('QUIT');
  });
});

describe('POP3 plaintext policy on a non-loopback address', () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it('refuses USER and AUTH PLAIN without TLS, accepts them after STLS', { skip: external ? false : 'no non-loopback IPv4 address on this machine' }, async () => {
    const h = await startPop3();
    const listener = new Pop3Listener(h.deps, null);
    try {
      const { port } = await listener.listen(external!, 0);
      const c = await RawClient.connect(port, { host: external! });
      const caps = (await c.command('CAPA'), (await c.multiline()).toString());
      assert.ok(!caps.includes('USER') && !caps.includes('SASL') && caps.includes('STLS'), caps);
      assert.match(await c.command('USER bob'), /^-ERR \[AUTH\] Plaintext authentication is disallowed/);
      assert.match(await c.command(`AUTH PLAIN ${plain('', 'bob', 'bobpw')}`), /^-ERR \[AUTH\] Plaintext/);
      await c.startTls();
      assert.match(await c.login(), /^\+OK/);
      await c.command('QUIT');
    } finally {
      await listener.close();
      await h.close();
    }
  });

  it('accepts them without TLS when security.allowPlaintextWithoutTls is set', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
    const h = await startPop3({ settings: (s) => ({ ...s, security: { allowPlaintextWithoutTls: true } }) });
    const listener = new Pop3Listener(h.deps, null);
    try {
      const { port } = await listener.listen(external!, 0);
      const c = await RawClient.connect(port, { host: external! });
      assert.match(await c.login(), /^\+OK/);
      await c.command('QUIT');
    } finally {
      await listener.close();
      await h.close();
    }
  });
});
