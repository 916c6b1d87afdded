/**
 * RETR and TOP as a pipelining client uses them: more RETRs queued than the read-ahead takes,
 * messages larger than the read buffer and the output block, with bare LF, CRLF cut at 64 KB and
 * dot lines on the boundaries, and a message file gone from disk in the middle of the burst;
 * and a 50 MB message to a client that stops reading (the server must not buffer it).
 * The pipelined tests run twice: with files read synchronously (the page cache answers fast) and
 * on a "slow disk", where the session must switch to reading ahead through the thread pool.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { deliverBatch } from '../../helpers/deliver.js';
import { storedBytes } from '../../helpers/files.js';
import { RawClient, startPop3, type Pop3Harness } from './harness.js';

const K64 = 64 * 1024;

/** The wire form, written independently of src/: CRLF lines, stuffed dots, a final CRLF. */
function expectedWire(stored: Buffer): Buffer {
  let text = stored.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(^|\n)\./g, '$1..');
  if (text.length > 0 && !text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text, 'latin1');
}

/** A message of about `size` octets whose line ends and dots fall where the chunks are cut. */
function tricky(size: number, eol: string, tag: string): Buffer {
  const head = `Subject: ${tag}${eol}Message-ID: <${tag}@t>${eol}${eol}`;
  const lines: string[] = [];
  let n = head.length;
  for (let i = 0; n < size; i++) {
    const line = i % 7 === 3 ? `.dot line ${i}` : `line ${i} ${'x'.repeat(i % 90)}`;
    lines.push(line);
    n += line.length + eol.length;
  }
  return Buffer.from(head + lines.join(eol) + eol, 'latin1');
}

/** Exactly `size` octets, with a line that starts with "." right at `at` and CRLF cut at `at`. */
function boundary(size: number, at: number): Buffer {
  const b = Buffer.alloc(size, 'a');
  Buffer.from('Subject: boundary\r\n\r\n').copy(b);
  b[at - 2] = 13;
  b[at - 1] = 10; // a line ends just before the cut...
  b[at] = 46; // ...and the next starts with a dot, in the next chunk
  b[at + 1] = 13; // CR at the end of the dot line...
  b[at + 2] = 10;
  b[K64 * 2 - 1] = 13; // ...and a CRLF cut by the second chunk boundary
  b[K64 * 2] = 10;
  b[size - 1] = 10;
  return b;
}

/**
 * Makes every synchronous read of a message file take 2 ms (a disk, not the page cache) while
 * installed, and counts them; the thread pool's reads (fs.read) are left alone.
 */
function slowSyncReads(blobDir: string): { count: () => number; restore: () => void } {
  const { openSync, readSync } = fs;
  const blobFds = new Set<number>();
  let slow = 0;
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...a: unknown[]) => number)(path, ...rest);
    if (String(path).startsWith(blobDir)) blobFds.add(fd);
    return fd;
  }) as typeof fs.openSync;
  fs.readSync = ((fd: number, ...rest: unknown[]) => {
    if (blobFds.has(fd)) {
      slow++;
      const until = performance.now() + 2;
      while (performance.now() < until);
    }
    return (readSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.readSync;
  return {
    count: () => slow,
    restore: () => {
      fs.openSync = openSync;
      fs.readSync = readSync;
    },
  };
}

for (const disk of ['page cache', 'slow disk'] as const) describe(`POP3 RETR with pipelining and large messages (${disk})`, () => {
  let h: Pop3Harness;
  let stored: Buffer[];
  let slow: ReturnType<typeof slowSyncReads> | undefined;
  before(async () => {
    h = await startPop3();
    const mail = [
      boundary(3 * K64 + 17, K64),
      tricky(300_000, '\n', 'big-lf'),
      tricky(K64 - 200, '\r\n', 'just-under'),
      ...Array.from({ length: 20 }, (_, i) => tricky(500 + i * 97, i % 2 ? '\n' : '\r\n', `small-${i}`)),
      tricky(200_000, '\r\n', 'big-crlf'),
    ];
    for (const m of mail) await h.deliver('bob@example.test', m);
    const drop = await h.ctx.store.maildrops.snapshot('bob');
    stored = await Promise.all(drop.messages.map((m) => readFile(h.ctx.blobs.pathOf(m.blob))));
    if (disk === 'slow disk') slow = slowSyncReads(h.ctx.blobs.pathOf(drop.messages[0]!.blob).split('/').slice(0, -3).join('/'));
  });
  after(() => {
    slow?.restore();
    return h.close();
  });

  it('answers 24 pipelined RETRs byte for byte, with the octet counts LIST announced', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    await c.command('LIST');
    const sizes = (await c.multiline()).toString().trim().split('\r\n').map((l) => Number(l.split(' ')[1]));
    c.socket.write(stored.map((_, i) => `RETR ${i + 1}\r\n`).join('') + 'TOP 2 3\r\n');
    for (let i = 0; i < stored.length; i++) {
      assert.equal(await c.line(), `+OK ${sizes[i]} octets`);
      const body = await c.multiline();
      assert.ok(body.equals(expectedWire(stored[i]!)), `message ${i + 1} (${stored[i]!.length} octets stored)`);
      assert.equal(body.toString('latin1').replace(/(^|\n)\./g, '$1').length, sizes[i], `LIST size of message ${i + 1}`);
    }
    assert.equal(await c.line(), '+OK top of message follows');
    const text = stored[1]!.toString('latin1');
    const bodyStart = text.indexOf('\n\n') + 2;
    const threeLines = text.slice(bodyStart).split('\n').slice(0, 3).map((l) => `${l}\n`);
    assert.ok((await c.multiline()).equals(expectedWire(Buffer.from(text.slice(0, bodyStart) + threeLines.join(''), 'latin1'))));
    assert.equal(await c.command('QUIT'), '+OK Bye (0 messages deleted)');
    // Three slow reads in a row, then the session reads through the thread pool (read-ahead.ts).
    if (slow) assert.equal(slow.count(), 3, 'synchronous reads before switching to the thread pool');
  });

  it('serves messages stored together in one batch file (as a collector stores them) from their offsets, byte for byte', async () => {
    // Larger than the first read (64 KB) and small enough to share a batch file: the rest of each
    // is read from its offset, synchronously or (slow disk) through the thread pool.
    const batch = Array.from({ length: 6 }, (_, i) => tricky(i % 2 ? 700 + i : 90_000 + i * 5_000, i % 3 ? '\n' : '\r\n', `batch-${i}`));
    const blobs = await deliverBatch(h.ctx.pipeline, 'jane@example.test', batch);
    const bytes = await Promise.all(blobs.map((b) => storedBytes(h.ctx.blobs, b)));
    const c = await RawClient.connect(h.port);
    await c.login('jane', 'janepw');
    c.socket.write(batch.map((_, i) => `RETR ${i + 1}\r\n`).join(''));
    for (let i = 0; i < batch.length; i++) {
      assert.match(await c.line(), /^\+OK \d+ octets$/);
      assert.ok((await c.multiline()).equals(expectedWire(bytes[i]!)), `batch message ${i + 1}`);
    }
    assert.match(await c.command('QUIT'), /^\+OK/);
  });

  it('a RETR pipelined behind a DELE of the same message gets -ERR; the next ones arrive whole', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.socket.write('RETR 4\r\nDELE 5\r\nRETR 5\r\nRETR 6\r\nRSET\r\nRETR 5\r\n');
    assert.match(await c.line(), /^\+OK \d+ octets$/);
    assert.ok((await c.multiline()).equals(expectedWire(stored[3]!)));
    assert.equal(await c.line(), '+OK Message 5 deleted');
    assert.equal(await c.line(), '-ERR No such message');
    assert.match(await c.line(), /^\+OK \d+ octets$/);
    assert.ok((await c.multiline()).equals(expectedWire(stored[5]!)));
    assert.match(await c.line(), /^\+OK Maildrop has/);
    assert.match(await c.line(), /^\+OK \d+ octets$/);
    assert.ok((await c.multiline()).equals(expectedWire(stored[4]!)), 'read again after RSET');
    assert.equal(await c.command('QUIT'), '+OK Bye (0 messages deleted)');
  });

  it('a message file missing in the middle of a burst is an -ERR [SYS/TEMP]; the others still arrive', async () => {
    const drop = await h.ctx.store.maildrops.snapshot('bob');
    const path = h.ctx.blobs.pathOf(drop.messages[5]!.blob);
    await rename(path, `${path}.away`);
    try {
      const c = await RawClient.connect(h.port);
      await c.login();
      c.socket.write([4, 5, 6, 7, 8].map((n) => `RETR ${n}\r\n`).join('') + 'NOOP\r\n');
      for (const n of [4, 5, 6, 7, 8]) {
        const reply = await c.line();
        if (n === 6) {
          assert.equal(reply, '-ERR [SYS/TEMP] Cannot read this message now');
          continue;
        }
        assert.match(reply, /^\+OK \d+ octets$/);
        assert.ok((await c.multiline()).equals(expectedWire(stored[n - 1]!)), `message ${n}`);
      }
      assert.equal(await c.line(), '+OK');
      await c.command('QUIT');
    } finally {
      await rename(`${path}.away`, path);
    }
  });
});

describe('POP3 RETR of a 50 MB message', () => {
  let h: Pop3Harness;
  const line = `${'x'.repeat(75)}\n`;
  const big = Buffer.from(`Subject: big\n\n${line.repeat(Math.ceil(50e6 / line.length))}`);
  before(async () => {
    h = await startPop3();
    await h.deliver('bob@example.test', big);
  });
  after(() => h.close());

  it('is paced by the client: while it does not read, the server holds well under 1 MB of it', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const s = net.connect(h.port, '127.0.0.1');
    let received = 0;
    let tail = Buffer.alloc(0);
    let resumed = false;
    s.on('data', (d: Buffer) => {
      received += d.length;
      tail = Buffer.concat([tail, d]).subarray(-5);
      if (received > 1e6 && !s.isPaused() && !resumed) s.pause();
    });
    s.write('USER bob\r\nPASS bobpw\r\nRETR 1\r\n');
    // Wait for the client to have stopped reading (on a loaded machine that takes a while), then
    // give the server time to fill whatever it would buffer.
    for (let i = 0; i < 200 && !s.isPaused(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.isPaused(), 'the client got its first megabyte and paused');
    await new Promise((r) => setTimeout(r, 1000));
    // Several samples, the smallest counts: a buffer the server holds shows in every one of them,
    // while garbage a collection happened to miss (client and server share this process) does not.
    let held = Infinity;
    for (let i = 0; i < 5; i++) {
      gc();
      held = Math.min(held, process.memoryUsage().arrayBuffers - before);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(held < 1e6, `server buffered ${held} octets while the client was not reading`);
    resumed = true;
    s.resume();
    await new Promise<void>((resolve) => s.on('data', () => tail.equals(Buffer.from('\r\n.\r\n')) && resolve()));
    const { messages } = await h.ctx.store.maildrops.snapshot('bob');
    // Greeting, USER and PASS replies, "+OK n octets", the body (CRLF'd, nothing to stuff), ".".
    const replies = received - (messages[0]!.wireSize + 3);
    assert.ok(replies > 0 && replies < 200, `${received} octets received for a ${messages[0]!.wireSize}-octet message`);
    s.destroy();
  });
});
