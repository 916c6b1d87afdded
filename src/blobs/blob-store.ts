/**
 * Message files. A stored message is a file of its own or a part of a batch file (below). Files
 * are named when they are created: a directory per day (UTC) and a name no other writer uses (the
 * time, a random prefix per store, a counter), e.g. `20261129/1764374400123-3fa1c2d4e5f60718-42`.
 * That name is the blob's id in the database (with `@offset+length` for a part of a batch file).
 *
 * Until 2026-11-29 blobs were content-addressed: named by the sha256 of their bytes, two directory
 * levels deep (ab/cd/abcd…), written in tmp/ and renamed into place. Measured on bench/collect
 * (docs/benchmarks.md), that cost a hash of every byte, a rename, a directory fsync per message
 * (every name lands in another directory), a mkdir and a second directory fsync per message in a
 * new store, and a hot tmp/ directory that every file's fsync wrote out again (ext4 without a
 * journal syncs a new file's parent with it). Written straight into the day's directory, a batch of
 * files shares one directory fsync. What content addressing bought, one file for identical bytes
 * stored twice, is rare here: a message for many recipients is one ingest, one blob, already.
 * Blobs stored the old way keep their ids and paths: `locate` reads both.
 *
 * Batch files: when `persist` is given two or more messages that are still wholly in memory (under
 * BUFFER_BYTES: most mail), it writes them into ONE file, one after the other, and each message's
 * id says where it is: `<file id>@<offset>+<length>`. Creating and fsyncing a file can cost the
 * file system far more than writing a small message into it (bench/collect, with a build that
 * skipped small messages' files altogether: 6.2 s instead of 7.3 s, 4.9 instead of 6.5; see
 * docs/benchmarks.md); a collector's batch of 32 is then one open, one write and one fsync.
 * Readers get a message's place from `locate` (file, offset, length) or read it through
 * `read`/`readBytes`, which stay inside the message.
 *
 * Durability: the root is fsync'd once a day's directory is there, before any file is created in
 * it; `persist` fsyncs each file, then each directory they are in; only then may a database row
 * name the blob. A crash before that leaves a file no row names, which nothing ever reads.
 *
 * System calls: fsyncs always run in the thread pool (they wait for the disk). The others (open,
 * write into the page cache, close, mkdir) take microseconds, and are made synchronously while
 * they stay fast: handing each to the pool cost the event loop more than the call itself (see
 * docs/benchmarks.md). Three in a row slower than SLOW_SYNC_MS (a disk throttling writers; one
 * alone is a preemption on a busy machine, see SlowStreak) send them all through the pool for a
 * minute.
 *
 * Large messages (past BUFFER_BYTES) are written with O_DIRECT where the file system allows it:
 * from a few aligned buffers, through the thread pool, never into the page cache (direct-io.ts
 * says why: on a virtual machine every new page-cache page can be a fault in the host).
 */
import fs, { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MailError } from '../errors.js';
import { SlowStreak } from '../util/slow-streak.js';
import { DirectBuffers, DirectFile } from './direct-io.js';

const openAsync = promisify(fs.open);
const writevAsync = promisify(fs.writev);
const writeAsync = promisify(fs.write);
const fsyncAsync = promisify(fs.fsync);
const closeAsync = promisify(fs.close);
const readAsync = promisify(fs.read);

/** A blob id as this store names them: the day's directory, then the file. */
const BLOB_ID = /^\d{8}\/\d+-[0-9a-f]{16}-\d+$/;
/** A message inside a batch file: the file's id, then `@offset+length`. */
const PACKED_BLOB_ID = /^(\d{8}\/\d+-[0-9a-f]{16}-\d+)@(\d+)\+(\d+)$/;
/** A blob id from before 2026-11-29: the sha256 of its bytes, stored under ab/cd/. */
const LEGACY_BLOB_ID = /^[0-9a-f]{64}$/;

/**
 * Streaming a large message leaves dead socket read buffers (64 KB each, outside the JS heap)
 * behind, and V8 frees them only when a scavenge finds their Buffer objects dead. Scavenges are
 * paced by allocation inside the young generation, which the collector's path barely does any more
 * (no Buffer per line): 25-30 MB of dead read buffers piled up between two scavenges, and a 50 MB
 * message peaked at 108 MB RSS instead of 80 (test/collect/memory.test.ts). So every
 * GC_EVERY_BYTES written through the store ask V8 for a minor GC (a scavenge: well under a
 * millisecond when nearly everything in the young generation is dead). `gc` is V8's own
 * extension, exposed here in a separate context only; where it cannot be had, nothing is done.
 */
const GC_EVERY_BYTES = 8 * 1024 * 1024;
const minorGc: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (options: { type: 'minor' }) => void;
    return () => gc({ type: 'minor' });
  } catch {
    return () => undefined;
  }
})();
let bytesSinceGc = 0;

/** Bytes a writer gathers before writing them out. */
const BUFFER_BYTES = 128 * 1024;
/** Pieces of one blob being written through the pool at once (so at most this times BUFFER_BYTES held per writer). */
const WRITES_IN_FLIGHT = 4;
/** Three synchronous calls in a row slower than this send every call back to the thread pool for a minute. */
const SLOW_SYNC_MS = 2;

export class BlobStore {
  /** @internal until when (ms) every call goes through the thread pool (see the file's comment). */
  syncCallsOffUntil = 0;
  private readonly slowCalls = new SlowStreak(SLOW_SYNC_MS);

  constructor(readonly root: string) {}

  /**
   * @internal aligned buffers for writing large messages with O_DIRECT (src/blobs/direct-io.ts):
   * probed at the first large message; null where the file system refuses O_DIRECT (then, and
   * in tests that set it to null, large messages go through the page cache).
   */
  direct: DirectBuffers | null | undefined;

  /** @internal the direct-write buffers, probed once. */
  directBuffers(): DirectBuffers | null {
    if (this.direct === undefined) this.direct = DirectBuffers.probe(this.root);
    return this.direct;
  }

  /** @internal whether a quick system call may be made synchronously now. */
  get syncCalls(): boolean {
    return Date.now() >= this.syncCallsOffUntil;
  }

  /** @internal makes a quick system call synchronously, and turns that off after a streak of slow ones. */
  timed<T>(call: () => T): T {
    const started = performance.now();
    try {
      return call();
    } finally {
      if (this.slowCalls.slow(started)) this.syncCallsOffUntil = Date.now() + 60_000;
    }
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // tmp/ held the writes in progress of stores before 2026-11-29. Leftovers of writes interrupted
    // by a crash are never referenced. Only old ones are removed: an older version of Postroom (a
    // CLI beside the server) may be writing a fresh one right now.
    const tmp = path.join(this.root, 'tmp');
    const cutoff = Date.now() - 24 * 3600_000;
    for (const name of await readdir(tmp).catch(() => [])) {
      const file = path.join(tmp, name);
      const st = await stat(file).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) await rm(file, { force: true });
    }
  }

  /**
   * The file of a blob stored in a file of its own (this store's ids and the content hashes of older
   * stores). A message in a batch file has none: use `locate`.
   */
  pathOf(id: string): string {
    if (BLOB_ID.test(id)) return path.join(this.root, id);
    if (LEGACY_BLOB_ID.test(id)) return path.join(this.root, id.slice(0, 2), id.slice(2, 4), id);
    if (PACKED_BLOB_ID.test(id)) throw new MailError({ message: `message ${id} is stored in a batch file, not a file of its own (BlobStore.locate gives its place)`, temporary: false });
    throw new MailError({ message: `not a message file id: ${JSON.stringify(id)}`, temporary: false });
  }

  /** Where a blob's bytes are: its file, from `offset`, `length` octets (null: to the end of the file). */
  locate(id: string): BlobLocation {
    const packed = PACKED_BLOB_ID.exec(id);
    if (packed) return { path: path.join(this.root, packed[1]!), offset: Number(packed[2]), length: Number(packed[3]) };
    return { path: this.pathOf(id), offset: 0, length: null };
  }

  /** Starts writing a new blob. Write chunks in order, then `commit()` (or `abort()`). */
  async create(): Promise<BlobWriter> {
    const now = Date.now();
    const day = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
    if (this.dayDir?.day !== day) {
      const ready = this.makeDayDir(day);
      this.dayDir = { day, ready };
      // A failure is reported to this caller and every one waiting with it; the next create tries again.
      ready.catch(() => {
        if (this.dayDir?.ready === ready) this.dayDir = null;
      });
    }
    await this.dayDir!.ready;
    const id = `${day}/${now}-${this.prefix}-${++this.count}`;
    return new BlobWriter(this, id, path.join(this.root, id));
  }

  /** Random per store (other processes write into the same directories), then counted: no random bytes per message. */
  private readonly prefix = randomBytes(8).toString('hex');
  private count = 0;
  /** The day whose directory is being made ready or is ready: concurrent creates wait for the same mkdir and fsync. */
  private dayDir: { day: string; ready: Promise<void> } | null = null;

  /**
   * Makes the day's directory, or finds it, then fsyncs the root so that the directory's entry is
   * durable before any file in it is created (so before any row can name one). Once a day per
   * process, whether this process made the directory or another one did an instant ago and has
   * not synced the root yet.
   */
  private async makeDayDir(day: string): Promise<void> {
    const dir = path.join(this.root, day);
    try {
      if (this.syncCalls) this.timed(() => fs.mkdirSync(dir));
      else await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MailError({ message: `could not create ${dir} for message files`, cause: err });
    }
    await this.syncDir(this.root).catch((err: unknown) => {
      throw new MailError({ message: `could not make ${dir} durable (fsync of ${this.root})`, cause: err });
    });
  }

  /**
   * Makes written (sealed or still open) blobs durable together: each file written out, fsync'd and
   * closed, all at once (the file system commits concurrent fsyncs together; one after the other,
   * their round trips added up), then each directory they are in fsync'd once. Returns their ids in
   * order. On failure none of them may be relied on; their files are removed.
   */
  async persist(writers: BlobWriter[]): Promise<string[]> {
    for (const w of writers) w.seal();
    const small = writers.filter((w) => w.inMemory);
    const batchFile = small.length >= 2 ? this.batchFile(small) : null;
    const files = batchFile ? [...writers.filter((w) => !w.packed), batchFile] : writers;
    try {
      const synced = await Promise.allSettled(files.map((w) => w.sync()));
      const failed = synced.find((p) => p.status === 'rejected');
      if (failed) throw failed.reason;
      const dirs = new Set(files.map((w) => path.dirname(w.file)));
      await Promise.all([...dirs].map((d) => this.syncDir(d)));
    } catch (err) {
      // Removing them must not hide why storing failed.
      await Promise.all(files.map((w) => rm(w.file, { force: true }).catch(() => undefined)));
      throw new MailError({ message: `could not store ${writers.length} message file(s) in ${this.root}`, cause: err });
    }
    return writers.map((w) => w.id);
  }

  /**
   * One writer for the bytes of several messages still in memory, one after the other, in the file
   * the first of them would have had; each message is given its place in it (see the file's comment).
   */
  private batchFile(members: BlobWriter[]): BlobWriter {
    const first = members[0]!;
    const file = new BlobWriter(this, first.fileId, first.file);
    const batch: BatchFile = { path: first.file, unused: members.length };
    let offset = 0;
    for (const m of members) {
      const length = m.size;
      file.append(m.packInto(batch, `${first.fileId}@${offset}+${length}`));
      offset += length;
    }
    return file;
  }

  /** fsync of a directory: its new entries made durable. */
  private async syncDir(dir: string): Promise<void> {
    const fd = this.syncCalls ? this.timed(() => fs.openSync(dir, 'r')) : await openAsync(dir, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      if (this.syncCalls) this.timed(() => fs.closeSync(fd));
      else await closeAsync(fd);
    }
  }

  /**
   * A blob's bytes, or those from `start` to `end` (inclusive, as fs.createReadStream counts; a
   * range past the blob's end stops there, or is empty, as it is for a whole file).
   */
  read(id: string, range?: { start: number; end?: number }): Readable {
    const at = this.locate(id);
    const start = at.offset + (range?.start ?? 0);
    const last = at.length === null ? undefined : at.offset + at.length - 1;
    const end = range?.end !== undefined ? at.offset + range.end : last;
    const until = end !== undefined && last !== undefined ? Math.min(end, last) : end;
    // Inside a batch file, bytes past the blob belong to the next message: none of them.
    if (until !== undefined && until < start && last !== undefined) return Readable.from([]);
    return createReadStream(at.path, { start, ...(until !== undefined ? { end: until } : {}) });
  }

  /** Up to `length` bytes of a blob from `start` (fewer at its end), in one read. */
  async readBytes(id: string, start: number, length: number): Promise<Buffer> {
    const at = this.locate(id);
    const n = Math.max(0, at.length === null ? length : Math.min(length, at.length - start));
    const fd = await openAsync(at.path, 'r');
    try {
      const buf = Buffer.alloc(n);
      const bytesRead = n > 0 ? (await readAsync(fd, buf, 0, n, at.offset + start)).bytesRead : 0;
      return buf.subarray(0, bytesRead);
    } finally {
      await closeAsync(fd);
    }
  }

  async size(id: string): Promise<number> {
    const at = this.locate(id);
    return at.length ?? (await stat(at.path)).size;
  }
}

/** A batch file being stored: its path, and how many of its messages are not aborted (see BlobWriter.abort). */
interface BatchFile {
  path: string;
  unused: number;
}

/** Where a blob's bytes are (see BlobStore.locate). */
export interface BlobLocation {
  path: string;
  offset: number;
  /** Null for a blob that is its whole file. */
  length: number | null;
}

/**
 * Writes one blob. Bytes are gathered in memory up to BUFFER_BYTES and written in large pieces; a
 * small message (most mail) reaches the disk in one write, at `persist` time, alongside the other
 * messages of its batch. A large message is written with O_DIRECT (DirectFile) where the file
 * system allows it and quick calls may be made synchronously; otherwise its pieces are written at
 * their offsets through the page cache: synchronously while the store allows it (see the file's
 * comment), else through the thread pool without waiting for each other (`write()` only waits
 * once WRITES_IN_FLIGHT pieces are on their way).
 * Waiting for each 64 KB write was the largest stall of `postroom collect`. Memory stays bounded
 * whatever the message size.
 */
export class BlobWriter {
  private written = 0;
  private done = false;
  /** The open file, once known. */
  private fd: number | null = null;
  /** An open through the thread pool, while it runs. */
  private opening: Promise<number> | null = null;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** File offset of the next piece. */
  private position = 0;
  /** Pieces written through the pool and not yet awaited, oldest first. */
  private writes: Array<Promise<void>> = [];
  /** Set once the blob is being written with O_DIRECT (a large message, see direct-io.ts). */
  private direct: DirectFile | null = null;

  /** Set when `persist` wrote this blob into a batch file: its id there, and that file. */
  private batch: { id: string; file: BatchFile } | null = null;

  constructor(
    private readonly store: BlobStore,
    /** @internal the id of the file this writer would create */
    readonly fileId: string,
    /** @internal its file */
    readonly file: string,
  ) {}

  /** The blob's id (what the database stores): final once `persist` has resolved. */
  get id(): string {
    return this.batch?.id ?? this.fileId;
  }

  get size(): number {
    return this.written;
  }

  /** @internal whether every byte is still in memory (no file yet), so that `persist` may put it into a batch file. */
  get inMemory(): boolean {
    return this.fd === null && this.opening === null && this.writes.length === 0 && !this.aborted && this.batch === null && this.written > 0;
  }

  /** @internal the descriptor of the file being written with O_DIRECT, if this blob is (tests look at its flags). */
  get directFd(): number | null {
    return this.direct?.fd ?? null;
  }

  /** @internal whether it was put into a batch file (it has no file of its own). */
  get packed(): boolean {
    return this.batch !== null;
  }

  /** @internal hands over its bytes, to be written at its place in a batch file (see BlobStore.batchFile). */
  packInto(file: BatchFile, id: string): Buffer[] {
    this.batch = { id, file };
    const data = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    return data;
  }

  /** @internal adds bytes already counted by their own writers (a batch file's), written at `sync`. */
  append(data: Buffer[]): void {
    for (const chunk of data) {
      this.written += chunk.length;
      this.buffered.push(chunk);
      this.bufferedBytes += chunk.length;
    }
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.done) throw new Error('blob already sealed or aborted');
    this.written += chunk.length;
    bytesSinceGc += chunk.length;
    if (bytesSinceGc >= GC_EVERY_BYTES) {
      bytesSinceGc = 0;
      minorGc();
    }
    if (this.direct) return this.direct.write(chunk);
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < BUFFER_BYTES) return;
    if (this.startDirect()) {
      for (const b of this.take().data) await this.direct!.write(b);
      return;
    }
    if (this.writeNow()) return;
    this.issue();
    if (this.writes.length >= WRITES_IN_FLIGHT) await this.writes.shift();
  }

  /**
   * No more bytes will be written: a large message written directly sends its last piece now
   * (see DirectFile.end), instead of at `persist`. Optional; a failure shows at `persist`.
   */
  end(): void {
    this.direct?.end().catch(() => undefined);
  }

  /** Takes what is buffered and where it goes in the file. */
  private take(): { data: Buffer[]; at: number } {
    const piece = { data: this.buffered, at: this.position };
    this.position += this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    return piece;
  }

  /**
   * Starts writing with O_DIRECT when the store's file system allows it and quick system calls
   * may be made synchronously (a slow disk sends everything through the pool instead, as before).
   */
  private startDirect(): boolean {
    if (!this.store.syncCalls || this.opening || this.fd !== null) return false;
    const buffers = this.store.directBuffers();
    if (!buffers) return false;
    this.direct = this.store.timed(() => DirectFile.create(this.file, buffers));
    this.fd = this.direct.fd;
    return true;
  }

  /** Writes what is buffered synchronously, when the store allows it; false if it did not. */
  private writeNow(): boolean {
    if (!this.store.syncCalls || this.opening) return false;
    this.fd ??= this.store.timed(() => fs.openSync(this.file, 'wx'));
    const fd = this.fd;
    const { data, at } = this.take();
    this.store.timed(() => {
      const total = data.reduce((n, b) => n + b.length, 0);
      let done = fs.writevSync(fd, data, at);
      if (done < total) {
        const all = Buffer.concat(data, total);
        while (done < total) done += fs.writeSync(fd, all, done, total - done, at + done);
      }
    });
    return true;
  }

  /** Starts writing what is buffered at its offset through the thread pool; the chunks are handed over without a copy. */
  private issue(): void {
    this.opening ??= this.fd !== null ? Promise.resolve(this.fd) : openAsync(this.file, 'wx').then((fd) => (this.fd = fd));
    const { data, at } = this.take();
    const piece = this.opening.then((fd) => writeAll(fd, data, at));
    // Its failure is reported where it is awaited (write, sync); this only keeps it from counting as unhandled.
    piece.catch(() => undefined);
    this.writes.push(piece);
  }

  /** Makes the blob durable and returns its id. */
  async commit(): Promise<string> {
    const [id] = await this.store.persist([this]);
    return id!;
  }

  /**
   * Ends writing without making anything durable yet. `BlobStore.persist` then makes several
   * sealed blobs durable together (their fsyncs overlap), and gives their ids.
   */
  seal(): void {
    if (this.aborted) throw new Error('blob aborted');
    this.done = true;
  }

  private aborted = false;

  /** @internal used by BlobStore.persist: the rest of the bytes written, then fsync'd and closed. */
  async sync(): Promise<void> {
    if (this.direct) {
      await this.direct.end();
    } else if (this.bufferedBytes > 0 || (this.fd === null && !this.opening)) {
      if (!this.writeNow()) this.issue();
    }
    await Promise.all(this.writes.splice(0));
    const fd = this.fd ?? (await this.opening!);
    this.fd = null;
    this.opening = null;
    try {
      await fsyncAsync(fd);
    } finally {
      if (this.store.syncCalls) this.store.timed(() => fs.closeSync(fd));
      else await closeAsync(fd);
    }
  }

  /**
   * Removes a blob that was not persisted (sealed or not), or that was persisted but will not be
   * recorded. A blob in a batch file leaves that file to the others in it: the file is removed
   * when every one of them is aborted.
   */
  async abort(): Promise<void> {
    const batch = this.batch;
    if (batch) {
      if (this.aborted) return;
      this.aborted = true;
      if (--batch.file.unused === 0) await rm(batch.file.path, { force: true }).catch(() => undefined);
      return;
    }
    this.done = true;
    this.aborted = true;
    this.buffered = [];
    this.bufferedBytes = 0;
    // Pieces still being written must land (or fail) before their file is closed and removed.
    await Promise.allSettled(this.writes.splice(0));
    await this.direct?.settle();
    const fd = this.fd ?? (await this.opening?.catch(() => null)) ?? null;
    this.fd = null;
    this.opening = null;
    if (fd !== null) await closeAsync(fd).catch(() => undefined);
    // A file that was never created (its open failed) or cannot be removed is one no row names: nothing to report.
    await rm(this.file, { force: true }).catch(() => undefined);
  }
}

/** Writes every byte of `data` at `position` through the thread pool (one writev; a short write goes on with the rest). */
async function writeAll(fd: number, data: Buffer[], position: number): Promise<void> {
  const total = data.reduce((n, b) => n + b.length, 0);
  let done = (await writevAsync(fd, data, position)).bytesWritten;
  if (done === total) return;
  const all = Buffer.concat(data, total);
  while (done < total) done += (await writeAsync(fd, all, done, total - done, position + done)).bytesWritten;
}
