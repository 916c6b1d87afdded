import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CAPACITY } from '../../src/pipeline/hash-ring.js';
import { stopBodyHashWorker } from '../../src/pipeline/body-hash-offload.js';
import { MessageScanner, type ScanResult } from '../../src/pipeline/scan.js';

/** A deterministic generator, so that a failure can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A header, then a body of lines ending in CRLF, LF or a lone CR, with runs of blank lines and 8-bit bytes. */
function message(rand: () => number, bodyBytes: number): Buffer {
  const parts: Buffer[] = [Buffer.from('From: a@example.com\r\nSubject: offload\r\n\r\n')];
  let n = 0;
  while (n < bodyBytes) {
    const line = Buffer.alloc(Math.floor(rand() * 200));
    for (let i = 0; i < line.length; i++) line[i] = 32 + Math.floor(rand() * 224);
    const r = rand();
    const end = r < 0.6 ? '\r\n' : r < 0.85 ? '\n' : r < 0.9 ? '\r' : '\n\n\r\n';
    parts.push(line, Buffer.from(end));
    n += line.length + end.length;
  }
  return Buffer.concat(parts);
}

/** Cuts `buf` into chunks of random sizes up to `max`. */
function chunks(rand: () => number, buf: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = 1 + Math.floor(rand() * max);
    out.push(buf.subarray(at, at + len));
    at += len;
  }
  return out;
}

function scanLocally(buf: Buffer): ScanResult {
  const s = new MessageScanner();
  s.update(buf);
  return s.finish();
}

async function scanOnWorker(parts: Buffer[], options: { await: boolean } = { await: true }): Promise<ScanResult> {
  const s = new MessageScanner({ offload: true });
  for (const p of parts) {
    const wait = s.update(p);
    if (options.await && wait) await wait;
  }
  return s.finishAsync();
}

describe('hashing large bodies on the worker thread', () => {
  after(() => stopBodyHashWorker());

  it('gives the digest and wire size of the local scan, whatever the chunking', async () => {
    const rand = random(1);
    for (const size of [0, 1, 5000, 300_000]) {
      const msg = message(rand, size);
      for (const max of [1, 7, 4096, 70_000]) {
        if (max === 1 && size > 5000) continue;
        assert.deepEqual(await scanOnWorker(chunks(rand, msg, max)), scanLocally(msg), `body ${size}, chunks up to ${max}`);
      }
    }
  });

  it('carries a body several times the ring, in chunks larger than a record, without waiting for each chunk', async () => {
    const rand = random(2);
    const msg = message(rand, 3 * CAPACITY);
    // Pieces of up to 2.5 MB are written as several records; not awaiting fills the ring and queues the rest.
    assert.deepEqual(await scanOnWorker(chunks(rand, msg, 2_500_000), { await: false }), scanLocally(msg));
  });

  it('copies what does not fit, so the caller may reuse its buffer', async () => {
    const rand = random(3);
    const msg = message(rand, 2 * CAPACITY);
    const expected = scanLocally(msg);
    const s = new MessageScanner({ offload: true });
    const buf = Buffer.alloc(65536);
    for (let at = 0; at < msg.length; at += buf.length) {
      const n = msg.copy(buf, 0, at, at + buf.length);
      // Not awaited, and the buffer is overwritten right away: queued pieces must be copies.
      void s.update(buf.subarray(0, n));
    }
    assert.deepEqual(await s.finishAsync(), expected);
  });

  it('keeps interleaved scans apart, across the ring wrapping around', async () => {
    const rand = random(4);
    const messages = [1_000, 2_000_000, 150_000, 3_000_000, 0, 900_000].map((n) => message(rand, n));
    const scanners = messages.map(() => new MessageScanner({ offload: true }));
    const split = messages.map((m) => chunks(rand, m, 50_000));
    for (let round = 0; split.some((s) => s.length > 0); round++) {
      for (let i = 0; i < split.length; i++) {
        const next = split[i]!.shift();
        if (next) await scanners[i]!.update(next);
      }
    }
    const results = await Promise.all(scanners.map((s) => s.finishAsync()));
    results.forEach((r, i) => assert.deepEqual(r, scanLocally(messages[i]!), `message ${i}`));
  });

  it('frees a discarded scan and goes on with the others', async () => {
    const rand = random(5);
    const kept = message(rand, 400_000);
    const dropped = new MessageScanner({ offload: true });
    await dropped.update(message(rand, 200_000));
    dropped.discard();
    assert.deepEqual(await scanOnWorker(chunks(rand, kept, 30_000)), scanLocally(kept));
  });

  it('when the worker dies, fails the scans on it and hashes later ones on the event loop', async () => {
    const rand = random(6);
    const msg = message(rand, 500_000);
    const victim = new MessageScanner({ offload: true });
    await victim.update(msg.subarray(0, 100_000));
    const pending = new MessageScanner({ offload: true });
    await pending.update(msg.subarray(0, 100_000));
    // A record for a stream the worker no longer has is a protocol error: the worker throws and exits.
    victim.discard();
    await victim.update(msg.subarray(100_000, 200_000));
    await assert.rejects(pending.finishAsync(), /hashing a message body failed: body-hash worker: no open stream/);
    // The next scan asked to offload runs locally (no worker), with the same result.
    assert.deepEqual(await scanOnWorker([msg]), scanLocally(msg));
    await stopBodyHashWorker();
    // A new worker after stop (what a restarted process gets).
    assert.deepEqual(await scanOnWorker(chunks(rand, msg, 10_000)), scanLocally(msg));
  });

  it('lets the process exit once every digest is in, and not before', () => {
    const scan = fileURLToPath(new URL('../../src/pipeline/scan.ts', import.meta.url));
    // No explicit exit: the worker must not keep the process alive after the digest, and the
    // pending digest (no other handle keeps the event loop busy) must keep it alive until then.
    const script = `
      import { MessageScanner } from ${JSON.stringify(scan)};
      const s = new MessageScanner({ offload: true });
      s.update(Buffer.concat([Buffer.from('A: b\\r\\n\\r\\n'), Buffer.alloc(${3 * CAPACITY}, 'x')]));
      s.finishAsync().then((r) => console.log('digest', r.bodyHash));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `timed out: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^digest [0-9a-f]{64}\n$/);
  });
});
