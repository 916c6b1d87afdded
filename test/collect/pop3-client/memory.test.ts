/**
 * RETR streams: a 50 MB message goes from the fake server to a slow consumer while the memory
 * the process retains (heap plus Buffer memory, measured after a forced GC) stays far below the
 * message size. A client that buffered the message would retain at least 50 MB at the end.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pop3Client } from '../../../src/collect/pop3-client/index.js';
import { startFakePop3 } from '../../fixtures/fake-pop3-server.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function retained(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function bigMessage(size: number): Buffer {
  const header = Buffer.from('Subject: big\r\n\r\n');
  const line = Buffer.from(`${'.'}${'A'.repeat(75)}\r\n`); // every line starts with a dot: all stuffed
  const message = Buffer.alloc(size);
  header.copy(message);
  for (let pos = header.length; pos < size; pos += line.length) line.copy(message, pos, 0, Math.min(line.length, size - pos));
  message[size - 2] = 0x0d;
  message[size - 1] = 0x0a;
  return message;
}

test('a 50 MB message streams with bounded memory and arrives intact', async () => {
  const size = 50 * 1024 * 1024;
  const message = bigMessage(size);
  const expectedHash = createHash('sha256').update(message).digest('hex');
  const server = await startFakePop3({ messages: [message] });
  try {
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'none', user: 'bob', password: 'secret', timeoutMs: 10_000 });
    const before = retained();
    let peak = 0;
    let received = 0;
    let nextSample = 0;
    const hash = createHash('sha256');
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        received += chunk.length;
        if (received >= nextSample) {
          nextSample += 5 * 1024 * 1024;
          peak = Math.max(peak, retained() - before);
          setTimeout(done, 5); // a slow disk now and then: backpressure has to hold the server back
        } else {
          done();
        }
      },
    });
    await pipeline(await client.retr(1), sink);
    await client.quit();
    assert.equal(received, size);
    assert.equal(hash.digest('hex'), expectedHash);
    assert.ok(peak < 16 * 1024 * 1024, `retained memory grew by ${(peak / 1048576).toFixed(1)} MB while streaming 50 MB`);
  } finally {
    await server.close();
  }
});
