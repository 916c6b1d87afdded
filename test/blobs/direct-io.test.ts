import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { BlobWriter } from '../../src/blobs/blob-store.js';
import { ALIGN, DirectBuffers, PIECE_BYTES } from '../../src/blobs/direct-io.js';
import { tempDir } from '../helpers/context.js';
import { filesUnder } from '../helpers/files.js';
import { withStore } from './with-store.js';

/** Deterministic bytes that differ at every offset (a misplaced piece shows). */
function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Writes `bytes` in chunks of pseudo-random sizes (1 byte to 100 KB), as a socket would hand them over. */
async function writeChunked(w: BlobWriter, bytes: Buffer, seed: number): Promise<void> {
  let x = seed;
  for (let off = 0; off < bytes.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 100_000);
    await w.write(bytes.subarray(off, off + n));
    off += n;
  }
}

/** Whether the kernel has `fd` open with O_DIRECT (its flags in /proc, in octal). */
function openedDirect(fd: number): boolean {
  const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
  return (parseInt(flags, 8) & fs.constants.O_DIRECT) !== 0;
}

// Around the block and the piece: the last piece's whole blocks go directly, the rest (under a
// block) through the page cache; the first 128 KB are gathered in memory before the file exists.
const SIZES = [
  128 * 1024,
  128 * 1024 + 1,
  40 * ALIGN - 1,
  PIECE_BYTES - 1,
  PIECE_BYTES,
  PIECE_BYTES + 1,
  PIECE_BYTES + ALIGN - 1,
  PIECE_BYTES + ALIGN,
  2 * PIECE_BYTES + ALIGN + 1,
  3 * PIECE_BYTES + 17,
];

describe('large messages written past the page cache (O_DIRECT)', () => {
  it('stores every size around the block and piece boundaries byte for byte, with O_DIRECT, and gives every buffer back', async () => {
    await withStore(async (blobs) => {
      const contents = SIZES.map((n, i) => pattern(n, i + 1));
      const writers: BlobWriter[] = [];
      for (const [i, c] of contents.entries()) {
        const w = await blobs.create();
        await writeChunked(w, c, i + 7);
        const fd = w.directFd;
        assert.notEqual(fd, null, `${c.length} bytes: written directly`);
        assert.ok(openedDirect(fd!), `${c.length} bytes: the kernel has the file open with O_DIRECT`);
        writers.push(w);
      }
      const ids = await blobs.persist(writers);
      for (const [i, id] of ids.entries()) assert.ok((await readFile(blobs.pathOf(id))).equals(contents[i]!), `${contents[i]!.length} bytes read back`);
      assert.equal(blobs.directBuffers()!.outstanding, 0, 'every buffer given back');
    });
  });

  it('writes through the page cache where O_DIRECT is not to be had, the same bytes', async () => {
    await withStore(async (blobs) => {
      blobs.direct = null;
      const c = pattern(PIECE_BYTES + ALIGN + 5, 99);
      const w = await blobs.create();
      await writeChunked(w, c, 3);
      assert.equal(w.directFd, null);
      assert.ok((await readFile(blobs.pathOf(await w.commit()))).equals(c));
    });
  });

  it('abort while pieces are on their way removes the file and gives the buffers back', async () => {
    await withStore(async (blobs, dir) => {
      const w = await blobs.create();
      await writeChunked(w, pattern(3 * PIECE_BYTES + 100, 5), 11);
      assert.notEqual(w.directFd, null);
      await w.abort();
      assert.deepEqual(await filesUnder(dir), []);
      assert.equal(blobs.directBuffers()!.outstanding, 0, 'every buffer given back');
    });
  });

  it('a direct write that fails fails the message, and abort still cleans up', async () => {
    await withStore(async (blobs, dir) => {
      const w = await blobs.create();
      await w.write(pattern(200 * 1024, 8));
      const fd = w.directFd!;
      // The descriptor closed under the writer: its next piece is refused (EBADF).
      fs.closeSync(fd);
      await assert.rejects(async () => {
        await writeChunked(w, pattern(3 * PIECE_BYTES, 9), 13);
        await w.commit();
      }, /EBADF|could not store/);
      await w.abort();
      assert.deepEqual(await filesUnder(dir), []);
      assert.equal(blobs.directBuffers()!.outstanding, 0, 'every buffer given back');
    });
  });

  it('finds buffers every one of which the kernel accepts for O_DIRECT; none where the directory cannot be written', async () => {
    const dir = await tempDir();
    try {
      const buffers = DirectBuffers.probe(dir)!;
      assert.ok(buffers);
      const file = path.join(dir, 'probe-check');
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_DIRECT, 0o600);
      try {
        const taken = Array.from({ length: 8 }, () => buffers.take());
        for (const [i, b] of taken.entries()) assert.equal(fs.writeSync(fd, b, 0, PIECE_BYTES, i * PIECE_BYTES), PIECE_BYTES);
        // Taking more than an arena holds allocates (and probes) another.
        taken.push(buffers.take());
        assert.equal(fs.writeSync(fd, taken[8]!, 0, ALIGN, 0), ALIGN);
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(DirectBuffers.probe(path.join(dir, 'missing')), null);
      assert.deepEqual(fs.readdirSync(dir), ['probe-check'], 'the probe file removed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
