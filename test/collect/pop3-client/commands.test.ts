/**
 * Transaction-state commands against the fake server: listings, TOP, RETR byte for byte under
 * pipelining and chunking faults, DELE/QUIT semantics, and failures in the middle of a message.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, test } from 'node:test';
import { Pop3Client, Pop3Error, type BodyStream, type Pop3ClientOptions } from '../../../src/collect/pop3-client/index.js';
import { startFakePop3, type FakePop3Options, type FakePop3Server } from '../../fixtures/fake-pop3-server.js';

const servers: FakePop3Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fake(options: FakePop3Options): Promise<FakePop3Server> {
  const s = await startFakePop3(options);
  servers.push(s);
  return s;
}

function connect(server: FakePop3Server, more: Partial<Pop3ClientOptions> = {}): Promise<Pop3Client> {
  return Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'none', user: 'bob', password: 'secret', timeoutMs: 3000, ...more });
}

async function readAll(body: BodyStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Message n of a varied corpus: dot lines, 8-bit and NUL bytes, a 100 KB line every 50th. */
function corpusMessage(n: number): Buffer {
  const lines = [`Message-ID: <m${n}@test>`, `Subject: message ${n} \xe9\xff`, '', '.starts with a dot', '..two dots', '.', `body ${n}\x00nul`];
  if (n % 50 === 0) lines.push('L'.repeat(100_000 + n));
  lines.push('x'.repeat(n % 97), 'end');
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

const corpus = Array.from({ length: 200 }, (_, i) => corpusMessage(i + 1));

describe('listings', () => {
  test('STAT, LIST, UIDL (all and one), TOP n 0', async () => {
    const messages = corpus.slice(0, 5);
    const s = await fake({ messages, uids: ['a1', 'b2', 'c3', 'd4', 'e5'] });
    const c = await connect(s);
    assert.equal(c.supportsUidl, true);
    assert.deepEqual(await c.stat(), { count: 5, size: messages.reduce((n, m) => n + m.length, 0) });
    assert.deepEqual(await c.list(), messages.map((m, i) => ({ id: i + 1, size: m.length })));
    assert.deepEqual(await c.listOne(3), { id: 3, size: messages[2]!.length });
    assert.deepEqual(await c.uidl(), ['a1', 'b2', 'c3', 'd4', 'e5'].map((uid, i) => ({ id: i + 1, uid })));
    assert.deepEqual(await c.uidlOne(4), { id: 4, uid: 'd4' });
    const header = await readAll(await c.top(2, 0));
    assert.equal(header.toString('latin1'), 'Message-ID: <m2@test>\r\nSubject: message 2 \xe9\xff\r\n\r\n');
    const err = await c.listOne(9).catch((e: unknown) => e);
    assert.ok(err instanceof Pop3Error && err.kind === 'protocol' && /refused LIST 9: no such message/.test(err.message));
    await c.noop(); // a -ERR leaves the session usable
    await c.quit();
  });

  test('a server without UIDL says so, and TOP still identifies messages', async () => {
    const s = await fake({ messages: corpus.slice(0, 2), capabilities: ['TOP', 'USER'] });
    const c = await connect(s);
    assert.equal(c.supportsUidl, false);
    await assert.rejects(c.uidl(), (e: unknown) => e instanceof Pop3Error && e.kind === 'protocol');
    assert.match((await readAll(await c.top(1, 0))).toString(), /^Message-ID: <m1@test>/);
    await c.quit();
  });

  test('without CAPA, UIDL support is unknown', async () => {
    const s = await fake({ messages: corpus.slice(0, 1), capabilities: null });
    const c = await connect(s);
    assert.equal(c.supportsUidl, undefined);
    await c.quit();
  });
});

describe('RETR', () => {
  const faults: Array<[string, FakePop3Options['faults']]> = [
    ['whole writes', {}],
    ['13-byte chunks', { chunkSize: 13 }],
    ['bare LF line ends', { bareLf: true }],
  ];
  for (const [name, f] of faults) {
    test(`200 messages through retrieveMany, pipelined, ${name}, byte for byte`, async () => {
      const s = await fake({ messages: corpus, faults: f });
      const c = await connect(s);
      assert.equal(c.pipelining, true);
      const got = new Map<number, Buffer>();
      const ids = corpus.map((_, i) => i + 1);
      const result = await c.retrieveMany(ids, async (id, body) => {
        got.set(id, await readAll(body));
      });
      assert.deepEqual(result.retrieved, ids);
      assert.deepEqual(result.refused, []);
      for (const id of ids) {
        const expected = f?.bareLf ? Buffer.from(corpus[id - 1]!.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : corpus[id - 1]!;
        assert.ok(got.get(id)?.equals(expected), `message ${id} differs`);
      }
      assert.ok(s.maxQueued > 1, `commands were pipelined (max ${s.maxQueued} waiting)`);
      await c.quit();
    });
  }

  test('refills the RETR window half a window at a time, in one write', async (t) => {
    const s = await fake({ messages: corpus.slice(0, 40) });
    const c = await connect(s);
    // The client's writes, seen at the socket (the server here shares this process's event loop,
    // so its reads merge writes made while it waited).
    const writes: number[] = [];
    const write = net.Socket.prototype.write;
    t.after(() => void (net.Socket.prototype.write = write));
    net.Socket.prototype.write = function (this: net.Socket, data: unknown, ...rest: unknown[]) {
      const retrs = typeof data === 'string' ? (data.match(/^RETR /gm) ?? []).length : 0;
      if (retrs > 0) writes.push(retrs);
      return (write as (...a: unknown[]) => boolean).call(this, data, ...rest);
    } as typeof write;
    const ids = corpus.slice(0, 40).map((_, i) => i + 1);
    const result = await c.retrieveMany(ids, async (_id, body) => void (await readAll(body)), { window: 16 });
    net.Socket.prototype.write = write;
    assert.deepEqual(result.retrieved, ids);
    // 16 at first, then 8 at a time: not one write (one packet, one wake-up of the server) per message.
    assert.deepEqual(writes, [16, 8, 8, 8]);
    assert.ok(s.maxQueued <= 16, `at most a window in flight (max ${s.maxQueued} waiting)`);
    await c.quit();
  });

  test('without PIPELINING, one command at a time', async () => {
    const s = await fake({ messages: corpus.slice(0, 30), capabilities: ['UIDL', 'TOP', 'USER'], faults: { chunkSize: 50 } });
    const c = await connect(s);
    assert.equal(c.pipelining, false);
    let n = 0;
    await c.retrieveMany(corpus.slice(0, 30).map((_, i) => i + 1), async (id, body) => {
      assert.ok((await readAll(body)).equals(corpus[id - 1]!));
      n++;
    });
    assert.equal(n, 30);
    assert.equal(s.maxQueued, 1);
    await c.quit();
  });

  test('a refused RETR is reported and the others still arrive', async () => {
    const s = await fake({ messages: corpus.slice(0, 3) });
    const c = await connect(s);
    const result = await c.retrieveMany([1, 7, 3], async (_id, body) => void (await readAll(body)));
    assert.deepEqual(result.retrieved, [1, 3]);
    assert.equal(result.refused[0]?.id, 7);
    await c.quit();
  });

  test('DELE + QUIT removes; DELE + close keeps; RSET unmarks', async () => {
    const s = await fake({ messages: corpus.slice(0, 4) });
    let c = await connect(s);
    await c.dele(1);
    c.close();
    assert.equal(s.messages.length, 4, 'no QUIT, no deletion');
    c = await connect(s);
    await c.dele(2);
    await c.rset();
    await c.dele(3);
    await c.dele(4);
    await c.quit();
    assert.deepEqual(s.messages, [corpus[0], corpus[1]]);
  });
});

describe('failures inside a message', () => {
  test('connection dropped mid-RETR: the body fails, nothing is reported complete, the session is over', async () => {
    const s = await fake({ messages: corpus.slice(0, 3), faults: { cutRetr: { id: 2, afterBytes: 40, then: 'close' } } });
    const c = await connect(s);
    const complete: number[] = [];
    const err = await c
      .retrieveMany([1, 2, 3], async (id, body) => {
        await pipeline(body, new Writable({ write: (_chunk, _enc, done) => done() }));
        complete.push(id);
      })
      .catch((e: unknown) => e);
    assert.deepEqual(complete, [1]);
    assert.ok(err instanceof Pop3Error, String(err));
    assert.equal(err.kind, 'network');
    assert.match(err.message, /connection lost while waiting for RETR 2 \(after 40 bytes of the message, before its end\)/);
    await assert.rejects(c.noop(), (e: unknown) => e === err, 'later commands fail with the same error');
  });

  test('server goes silent mid-body: the body times out', async () => {
    const s = await fake({ messages: corpus.slice(0, 2), faults: { cutRetr: { id: 1, afterBytes: 30, then: 'stall' } } });
    const c = await connect(s, { timeoutMs: 200 });
    const body = await c.retr(1);
    const err = await readAll(body).catch((e: unknown) => e);
    assert.ok(err instanceof Pop3Error && err.kind === 'timeout', String(err));
    assert.match(err.message, /no answer to RETR 1 within 200 ms/);
  });

  test('a RETR never answered times out', async () => {
    const s = await fake({ messages: corpus.slice(0, 1), faults: { stall: 'RETR' } });
    const c = await connect(s, { timeoutMs: 200 });
    await assert.rejects(c.retr(1), (e: unknown) => e instanceof Pop3Error && e.kind === 'timeout');
  });

  test('destroying a body before its end ends the session without deleting', async () => {
    const s = await fake({ messages: corpus.slice(0, 2) });
    const c = await connect(s);
    await c.dele(2);
    const body = await c.retr(1);
    body.destroy();
    await assert.rejects(c.quit(), /closed before the end of the message/);
    assert.equal(s.messages.length, 2);
  });

  test('onMessage that does not read the body ends the session', async () => {
    const s = await fake({ messages: corpus.slice(0, 2) });
    const c = await connect(s);
    await assert.rejects(
      c.retrieveMany([1, 2], async () => {}),
      /resolved before reading the body to its end/,
    );
  });
});
