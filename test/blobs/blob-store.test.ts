import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { MailError } from '../../src/errors.js';
import { tempDir } from '../helpers/context.js';
import { filesUnder, storedBytes } from '../helpers/files.js';
import { withStore } from './with-store.js';

const put = async (blobs: BlobStore, parts: string[]) => {
  const w = await blobs.create();
  for (const p of parts) await w.write(Buffer.from(p));
  return w.commit();
};

describe('BlobStore', () => {
  it("names each blob when it is created, in the day's directory (UTC), and stores it byte for byte", async () => {
    await withStore(async (blobs, dir) => {
      const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      const a = await put(blobs, ['hello ', 'world']);
      const b = await put(blobs, ['hello world']);
      assert.match(a, new RegExp(`^${day}/\\d+-[0-9a-f]{16}-\\d+$`));
      assert.notEqual(a, b, 'identical bytes stored twice are two blobs (no content addressing)');
      assert.equal(blobs.pathOf(a), path.join(dir, a));
      for (const id of [a, b]) {
        assert.equal(await readFile(blobs.pathOf(id), 'utf8'), 'hello world');
        assert.equal(await blobs.size(id), 11);
      }
      assert.deepEqual(await filesUnder(dir), [a, b].sort(), 'nothing else written');
      // Another store on the same directory (another process) never picks a name already taken.
      const other = new BlobStore(dir);
      await other.init();
      const c = await put(other, ['other']);
      assert.ok(![a, b].includes(c));
    });
  });

  it('reads blobs stored by older versions under their content hash (ab/cd/abcd…)', async () => {
    await withStore(async (blobs, dir) => {
      const legacy = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';
      await mkdir(path.join(dir, 'b9', '4d'), { recursive: true });
      await writeFile(path.join(dir, 'b9', '4d', legacy), 'hello world');
      assert.equal(blobs.pathOf(legacy), path.join(dir, 'b9', '4d', legacy));
      assert.equal(await blobs.size(legacy), 11);
      const chunks: Buffer[] = [];
      for await (const c of blobs.read(legacy, { start: 6 })) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'world');
    });
  });

  it('refuses an id that is not one of its own (never a path outside the store)', async () => {
    await withStore(async (blobs) => {
      for (const bad of ['../../etc/passwd', '20261129/../../x', 'abc', '', '20261129/1-zz-1']) {
        assert.throws(() => blobs.pathOf(bad), (e: unknown) => e instanceof MailError && /not a message file id/.test(e.message), bad);
      }
    });
  });

  it('leaves nothing behind on abort, and cleans only old leftovers of crashed writes in the tmp/ of older versions', async () => {
    await withStore(async (blobs, dir) => {
      const w = await blobs.create();
      await w.write(Buffer.from('partial'));
      await w.abort();
      assert.deepEqual(await filesUnder(dir), []);
      await mkdir(path.join(dir, 'tmp'));
      await writeFile(path.join(dir, 'tmp', 'old-crash'), 'x');
      await writeFile(path.join(dir, 'tmp', 'in-progress'), 'y');
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await utimes(path.join(dir, 'tmp', 'old-crash'), twoDaysAgo, twoDaysAgo);
      await new BlobStore(dir).init();
      assert.deepEqual(await readdir(path.join(dir, 'tmp')), ['in-progress'], 'a fresh file may belong to another running process');
    });
  });

  it('writes a large blob in pieces at their offsets, and persists many at once', async () => {
    await withStore(async (blobs, dir) => {
      // 3 MB in odd chunk sizes: many pieces in flight at once, each at its own offset.
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
      const w = await blobs.create();
      for (let off = 0; off < big.length; off += 70_001) await w.write(big.subarray(off, off + 70_001));
      // The same through the thread pool only (as after slow synchronous calls).
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
      assert.equal(name, w.id);
      assert.deepEqual(await readFile(blobs.pathOf(name!)), big);
      assert.deepEqual(await readFile(blobs.pathOf(name2!)), big2);
      for (const [i, name] of names.entries()) assert.equal((await storedBytes(blobs, name)).toString(), `message ${i}\n`);
      assert.equal((await filesUnder(dir)).length, 3, 'the two large ones, and one batch file for the 40 small ones');
    });
  });

  it('abort waits for pieces still being written, then removes the file', async () => {
    await withStore(async (blobs, dir) => {
      const w = await blobs.create();
      for (let i = 0; i < 12; i++) await w.write(Buffer.alloc(200_000, i));
      await w.abort();
      assert.deepEqual(await filesUnder(dir), []);
    });
  });

  it('a file that cannot be created fails the persist with a clear error, and nothing is named', async () => {
    const dir = await tempDir();
    try {
      // Where the day's directory should be there is a file: every open fails (ENOTDIR).
      const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      await writeFile(path.join(dir, day), 'not a directory');
      const blobs = new BlobStore(dir);
      await blobs.init();
      const small = await blobs.create();
      await small.write(Buffer.from('doomed'));
      await assert.rejects(blobs.persist([small]), (e: unknown) => e instanceof MailError && /could not store 1 message file/.test(e.message) && /ENOTDIR/.test(String((e.cause as Error).message)));
      // Several small ones (one batch file): the same.
      const pair = [await blobs.create(), await blobs.create()];
      for (const w of pair) await w.write(Buffer.from('doomed too'));
      await assert.rejects(blobs.persist(pair), (e: unknown) => e instanceof MailError && /could not store 2 message file/.test(e.message) && /ENOTDIR/.test(String((e.cause as Error).message)));
      for (const w of pair) await w.abort();
      // A large one fails on its way (its pieces go through the pool once the open has failed).
      const big = await blobs.create();
      await assert.rejects(async () => {
        for (let i = 0; i < 20; i++) await big.write(Buffer.alloc(200_000, i));
        await big.commit();
      }, /ENOTDIR|could not store/);
      await big.abort();
      assert.deepEqual(await filesUnder(dir), [day], 'only the file that was in the way');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("many writers started at once on a new day (through the pool) share one mkdir of the day's directory; a failed mkdir is tried again", async () => {
    await withStore(async (blobs, dir) => {
      blobs.syncCallsOffUntil = Infinity;
      const writers = await Promise.all(Array.from({ length: 20 }, () => blobs.create()));
      for (const [i, w] of writers.entries()) await w.write(Buffer.from(`m${i}`));
      const ids = await blobs.persist(writers);
      assert.equal(new Set(ids.map((id) => path.dirname(id))).size, 1);
      for (const [i, id] of ids.entries()) assert.equal((await storedBytes(blobs, id)).toString(), `m${i}`);
    });
    const dir = await tempDir();
    try {
      // A store whose blob root cannot take a directory (it is a file): a clear error, then success once mended.
      const root = path.join(dir, 'blobs');
      const blobs = new BlobStore(root);
      await blobs.init();
      await rm(root, { recursive: true });
      await writeFile(root, 'in the way');
      await assert.rejects(blobs.create(), (e: unknown) => e instanceof MailError && /could not create .* for message files/.test(e.message));
      await rm(root);
      await mkdir(root);
      assert.equal(await readFile(blobs.pathOf(await put(blobs, ['after'])), 'utf8'), 'after');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('goes back to the thread pool after three slow synchronous calls in a row, not after one', async () => {
    await withStore(async (blobs) => {
      const slow = () => {
        const until = performance.now() + 5;
        while (performance.now() < until);
      };
      blobs.timed(slow);
      blobs.timed(() => undefined);
      blobs.timed(slow);
      blobs.timed(slow);
      assert.equal(blobs.syncCalls, true, 'one slow call (a preemption on a busy machine) and a streak broken by a quick one');
      blobs.timed(slow);
      assert.equal(blobs.syncCalls, false, 'three in a row: the disk is answering, not the cache');
      // Still correct through the pool.
      assert.equal(await readFile(blobs.pathOf(await put(blobs, ['pooled'])), 'utf8'), 'pooled');
    });
  });
  it('stores the small messages of one persist in one batch file, each read back exactly (locate, read, readBytes, size), and a large one in its own file', async () => {
    await withStore(async (blobs, dir) => {
      const big = Buffer.alloc(300 * 1024, 'L');
      const contents = [Buffer.from('first\r\n'), Buffer.from('second message\r\n'), big, Buffer.from('third\r\n')];
      const writers = [];
      for (const c of contents) {
        const w = await blobs.create();
        await w.write(c.subarray(0, 3));
        await w.write(c.subarray(3));
        writers.push(w);
      }
      const ids = await blobs.persist(writers);
      assert.deepEqual(ids, writers.map((w) => w.id));
      const [a, b, large, c] = ids as [string, string, string, string];
      assert.match(a, /^\d{8}\/\d+-[0-9a-f]{16}-\d+@0\+7$/);
      assert.equal(b, `${a.split('@')[0]}@7+16`);
      assert.equal(c, `${a.split('@')[0]}@23+7`);
      assert.equal(blobs.pathOf(large), path.join(dir, large), 'a message too large to hold has its own file');
      assert.deepEqual(await filesUnder(dir), [a.split('@')[0]!, large].sort(), 'one batch file and the large one');
      for (const [i, id] of ids.entries()) {
        assert.deepEqual(await storedBytes(blobs, id), contents[i], `read ${id}`);
        assert.equal(await blobs.size(id), contents[i]!.length);
        assert.deepEqual(await blobs.readBytes(id, 2, 1000), contents[i]!.subarray(2, 1002), 'readBytes stays inside the message');
      }
      const ranged: Buffer[] = [];
      for await (const chunk of blobs.read(b, { start: 7, end: 100 })) ranged.push(chunk as Buffer);
      assert.equal(Buffer.concat(ranged).toString(), 'message\r\n', 'a range past the end of a message stops at its end');
      const past: Buffer[] = [];
      for await (const chunk of blobs.read(b, { start: 40 })) past.push(chunk as Buffer);
      assert.equal(Buffer.concat(past).length, 0, 'a range starting past its end is empty (not the next message)');
      assert.deepEqual(blobs.locate(b), { path: path.join(dir, a.split('@')[0]!), offset: 7, length: 16 });
      assert.throws(() => blobs.pathOf(b), MailError);
      // A message persisted alone keeps a file of its own.
      assert.doesNotMatch(await put(blobs, ['alone']), /@/);
    });
  });

  it('removes a batch file only when every message in it is aborted', async () => {
    await withStore(async (blobs, dir) => {
      const writers = [];
      for (const text of ['one', 'two', 'three']) {
        const w = await blobs.create();
        await w.write(Buffer.from(text));
        writers.push(w);
      }
      const [first] = await blobs.persist(writers);
      const file = first!.split('@')[0]!;
      await writers[0]!.abort();
      await writers[2]!.abort();
      await writers[2]!.abort();
      assert.deepEqual(await filesUnder(dir), [file], 'the second message is still in it');
      assert.equal((await blobs.readBytes(writers[1]!.id, 0, 100)).toString(), 'two');
      await writers[1]!.abort();
      assert.deepEqual(await filesUnder(dir), []);
    });
  });
});
