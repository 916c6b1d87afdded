import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { tempDir } from '../helpers/context.js';

describe('BlobStore', () => {
  it('names a blob by the sha256 of its bytes, stores identical content once', async () => {
    const dir = await tempDir();
    try {
      const blobs = new BlobStore(dir);
      await blobs.init();
      const put = async (parts: string[]) => {
        const w = await blobs.create();
        for (const p of parts) await w.write(Buffer.from(p));
        return w.commit();
      };
      const a = await put(['hello ', 'world']);
      const b = await put(['hello world']);
      assert.equal(a, createHash('sha256').update('hello world').digest('hex'));
      assert.equal(a, b);
      assert.equal(await readFile(blobs.pathOf(a), 'utf8'), 'hello world');
      assert.equal(await blobs.size(a), 11);
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), [], 'no temporary file left');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves nothing behind on abort, and cleans only old leftovers of crashed writes', async () => {
    const dir = await tempDir();
    try {
      const blobs = new BlobStore(dir);
      await blobs.init();
      const w = await blobs.create();
      await w.write(Buffer.from('partial'));
      await w.abort();
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), []);
      await writeFile(path.join(dir, 'tmp', 'old-crash'), 'x');
      await writeFile(path.join(dir, 'tmp', 'in-progress'), 'y');
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await utimes(path.join(dir, 'tmp', 'old-crash'), twoDaysAgo, twoDaysAgo);
      await new BlobStore(dir).init();
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), ['in-progress'], 'a fresh file may belong to another running process');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes a large blob in pieces at their offsets, and persists many at once', async () => {
    const dir = await tempDir();
    try {
      const blobs = new BlobStore(dir);
      await blobs.init();
      // 3 MB in odd chunk sizes: many pieces in flight at once, each at its own offset.
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
      const w = await blobs.create();
      for (let off = 0; off < big.length; off += 70_001) await w.write(big.subarray(off, off + 70_001));
      // The same through the thread pool only (as after a slow synchronous write).
      blobs.syncCallsOffUntil = Infinity;
      const big2 = Buffer.from(big.subarray(1));
      const pooled = await blobs.create();
      for (let off = 0; off < big2.length; off += 70_001) await pooled.write(big2.subarray(off, off + 70_001));
      blobs.syncCallsOffUntil = 0;
      const small = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const s = await blobs.create();
          await s.write(Buffer.from(`message ${i}\n`));
          return s;
        }),
      );
      const [name, name2, ...names] = await blobs.persist([w, pooled, ...small]);
      assert.equal(name, createHash('sha256').update(big).digest('hex'));
      assert.deepEqual(await readFile(blobs.pathOf(name!)), big);
      assert.deepEqual(await readFile(blobs.pathOf(name2!)), big2);
      for (const [i, name] of names.entries()) assert.equal(await readFile(blobs.pathOf(name), 'utf8'), `message ${i}\n`);
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), [], 'no temporary file left');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('abort waits for pieces still being written, then removes the file', async () => {
    const dir = await tempDir();
    try {
      const blobs = new BlobStore(dir);
      await blobs.init();
      const w = await blobs.create();
      for (let i = 0; i < 12; i++) await w.write(Buffer.alloc(200_000, i));
      await w.abort();
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('two persists at once into one new directory both succeed (the second waits for the first to make it durable)', async () => {
    const dir = await tempDir();
    try {
      const blobs = new BlobStore(dir);
      await blobs.init();
      // Two contents whose names share the ab/cd directory (a 16-bit prefix: found in ~65,000 tries).
      const sha = (t: string) => createHash('sha256').update(t).digest('hex');
      const prefixes = new Map<string, string>();
      let pair: [string, string] | undefined;
      for (let i = 0; !pair; i++) {
        const t = `m${i}`;
        const other = prefixes.get(sha(t).slice(0, 4));
        if (other !== undefined) pair = [other, t];
        else prefixes.set(sha(t).slice(0, 4), t);
      }
      const [a, b] = await Promise.all(
        pair.map(async (t) => {
          const w = await blobs.create();
          await w.write(Buffer.from(t));
          return w.commit();
        }),
      );
      assert.equal(path.dirname(blobs.pathOf(a!)), path.dirname(blobs.pathOf(b!)));
      assert.equal(await readFile(blobs.pathOf(a!), 'utf8'), pair[0]);
      assert.equal(await readFile(blobs.pathOf(b!), 'utf8'), pair[1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
