/**
 * The IMAP Service as the server runs it (settings ports, 0 = off, reconfigure rebinds), and the
 * plaintext-login policy seen from a non-loopback address.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { imapService } from '../../../src/access/imap/imap-service.js';
import { ImapListener } from '../../../src/access/imap/server.js';
import type { Settings } from '../../../src/config/schema.js';
import { ensureTls } from '../../../src/server/tls.js';
import { connectionRefused as refused, freePort } from '../../helpers/cli.js';
import { officeYaml, testContext, type TestContext } from '../../helpers/context.js';
import { RawImapClient, startImap } from './harness.js';



describe('IMAP service', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await testContext(officeYaml);
  });
  after(() => ctx.cleanup());

  it('works out ENVELOPE and BODYSTRUCTURE as mail is delivered, before any FETCH', async () => {
    const base = await ctx.store.config.settings();
    const service = imapService(ctx, await ensureTls(ctx.dataDir, base));
    await service.start({ ...base, listen: { ...base.listen, address: '127.0.0.1', imap: 0, imaps: 0 } });
    try {
      const raw = Buffer.from('From: a@remote.test\r\nTo: bob@example.test\r\nSubject: structure\r\nMessage-ID: <structure@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n');
      const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: 'test' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [raw] });
      let stored: string | undefined;
      for (let i = 0; i < 100 && !stored; i++) {
        await new Promise((res) => setTimeout(res, 20));
        stored = await ctx.store.imap.structure(r.blob);
      }
      assert.ok(stored, 'the structure was stored without a FETCH');
      assert.match(stored, /multipart|mixed/i);
    } finally {
      await service.stop();
    }
  });

  it('catches up at start on mail delivered while it was not running', async () => {
    const raw = Buffer.from('From: a@remote.test\r\nTo: bob@example.test\r\nSubject: before start\r\nMessage-ID: <before-start@x>\r\n\r\nbody\r\n');
    const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: 'test' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [raw] });
    assert.equal(await ctx.store.imap.structure(r.blob), undefined, 'no IMAP service ran: nothing computed yet');
    const base = await ctx.store.config.settings();
    const service = imapService(ctx, await ensureTls(ctx.dataDir, base));
    await service.start({ ...base, listen: { ...base.listen, address: '127.0.0.1', imap: 0, imaps: 0 } });
    try {
      let stored: string | undefined;
      for (let i = 0; i < 100 && !stored; i++) {
        await new Promise((res) => setTimeout(res, 20));
        stored = await ctx.store.imap.structure(r.blob);
      }
      assert.ok(stored, 'computed in the background after start');
      assert.deepEqual(await ctx.store.imap.blobsWithoutStructure(10), []);
    } finally {
      await service.stop();
    }
  });

  it('listens on listen.imap and listen.imaps, rebinds on reconfigure, and 0 turns a port off', async () => {
    const base = await ctx.store.config.settings();
    const [a, b, s] = [await freePort(), await freePort(), await freePort()];
    const at = (imap: number, imaps: number): Settings => ({ ...base, listen: { ...base.listen, address: '127.0.0.1', imap, imaps } });
    const service = imapService(ctx, await ensureTls(ctx.dataDir, base));
    await service.start(at(a, s));
    try {
      assert.equal(service.describe(), `listening on imap 127.0.0.1:${a}, imaps 127.0.0.1:${s}`);
      const { client } = await RawImapClient.connect(a);
      assert.match((await client.login()).tagged, /OK/);
      const secure = await RawImapClient.connect(s, { tls: true });
      assert.match(secure.greeting, /^\* OK/);
      secure.client.destroy();
      await service.reconfigure(at(b, 0));
      assert.ok(await refused(a));
      assert.ok(await refused(s));
      assert.equal(service.describe(), `listening on imap 127.0.0.1:${b}`);
      const moved = await RawImapClient.connect(b);
      assert.match((await moved.client.command('NOOP')).tagged, /OK/);
      moved.client.destroy();
      client.destroy();
    } finally {
      await service.stop();
    }
    assert.equal(service.describe(), 'off');
  });
});

describe('IMAP plaintext policy on a non-loopback address', () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it('LOGINDISABLED and NO [PRIVACYREQUIRED] without TLS; LOGIN works after STARTTLS', { skip: external ? false : 'no non-loopback IPv4 address on this machine' }, async () => {
    const h = await startImap();
    const listener = new ImapListener(h.deps, null);
    try {
      const { port } = await listener.listen(external!, 0);
      const { client, greeting } = await RawImapClient.connect(port, { host: external! });
      assert.match(greeting, /LOGINDISABLED/);
      assert.doesNotMatch(greeting, /AUTH=PLAIN/);
      assert.match((await client.login()).tagged, /NO \[PRIVACYREQUIRED\]/);
      assert.match((await client.command(`AUTHENTICATE PLAIN ${Buffer.from('\0bob\0bobpw').toString('base64')}`)).tagged, /NO \[PRIVACYREQUIRED\]/);
      assert.match((await client.command('STARTTLS')).tagged, /OK/);
      client.socket.removeAllListeners('data');
      const secure = tls.connect({ socket: client.socket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const got: Buffer[] = [];
      secure.on('data', (d: Buffer) => got.push(d));
      secure.write('T1 LOGIN bob bobpw\r\n');
      for (let i = 0; i < 50 && !Buffer.concat(got).includes('T1 '); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(Buffer.concat(got).toString(), /^T1 OK/m);
      secure.destroy();
    } finally {
      await listener.close();
      await h.close();
    }
  });

  it('accepts LOGIN without TLS when security.allowPlaintextWithoutTls is set', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
    const h = await startImap({ settings: (s) => ({ ...s, security: { allowPlaintextWithoutTls: true } }) });
    const listener = new ImapListener(h.deps, null);
    try {
      const { port } = await listener.listen(external!, 0);
      const { client, greeting } = await RawImapClient.connect(port, { host: external! });
      assert.match(greeting, /AUTH=PLAIN/);
      assert.match((await client.login()).tagged, /OK/);
      client.destroy();
    } finally {
      await listener.close();
      await h.close();
    }
  });
});
