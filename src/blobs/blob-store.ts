/**
 * Content-addressed message files: each stored message is a file named by the sha256 of its bytes,
 * so a message delivered to 200 people is stored once.
 *
 * Durability: bytes go to tmp/, the file is fsync'd, renamed into place, and the directory is
 * fsync'd, so after a crash a blob either exists whole under its name or not at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs, { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MailError } from '../errors.js';

/** Bytes a writer gathers before writing them out. */
const BUFFER_BYTES = 128 * 1024;
/** Pieces of one blob being written at once (so at most this times BUFFER_BYTES held per writer). */
const WRITES_IN_FLIGHT = 4;
/** A synchronous piece write slower than this sends pieces back to the thread pool (see BlobWriter.writeNow). */
const SYNC_WRITE_SLOW_MS = 2;

export class BlobStore {
  private readonly tmpDir: string;
  /** @internal until when (ms) writers send every piece through the thread pool (BlobWriter.writeNow). */
  syncWritesOffUntil = 0;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    // Leftovers of writes interrupted by a crash are never referenced. Only old ones are removed:
    // another process (a CLI `deliver` beside the server) may be writing a fresh one right now.
    const cutoff = Date.now() - 24 * 3600_000;
    for (const name of await readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const st = await stat(file).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) await rm(file, { force: true });
    }
  }

  pathOf(hash: string): string {
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  /** Starts writing a new blob. Write chunks in order, then `commit()` (or `abort()`). */
  async create(): Promise<BlobWriter> {
    return new BlobWriter(this, path.join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`));
  }

  /**
   * Makes sealed (or still open) blobs durable together: each file written out, fsync'd and
   * renamed into place, all of them at once (the file system commits concurrent fsyncs together;
   * one after the other, their thread-pool round trips added up), then each directory that got a
   * new entry fsync'd once: the blobs' directories, and the parent of any directory that mkdir
   * had to create (its entry is new too). Returns their names in order. On failure none of them
   * may be relied on; their temporary files are removed.
   */
  async persist(writers: BlobWriter[]): Promise<string[]> {
    const names = writers.map((w) => w.digest ?? w.seal());
    const dirs = new Set<string>();
    const placed = await Promise.allSettled(
      writers.map(async (w, i) => {
        const target = this.pathOf(names[i]!);
        const dir = path.dirname(target);
        const [created] = await Promise.all([mkdir(dir, { recursive: true }), w.sync()]);
        for (let d = dir; created !== undefined && d !== path.dirname(created); d = path.dirname(d)) dirs.add(path.dirname(d));
        dirs.add(dir);
        await rename(w.tmpPath, target);
      }),
    );
    try {
      const failed = placed.find((p) => p.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all([...dirs].map(syncDir));
    } catch (err) {
      await Promise.all(writers.map((w) => rm(w.tmpPath, { force: true })));
      throw new MailError({ message: `could not store ${writers.length} message file(s) in ${this.root}`, cause: err });
    }
    return names;
  }

  read(hash: string, range?: { start: number; end?: number }): ReadStream {
    return createReadStream(this.pathOf(hash), range);
  }

  async size(hash: string): Promise<number> {
    return (await stat(this.pathOf(hash))).size;
  }
}

/**
 * Writes one blob. Bytes are gathered in memory up to BUFFER_BYTES and written in large pieces; a
 * small message (most mail) reaches the disk in one write, at `persist` time, alongside the other
 * messages of its batch. A large message's pieces are written at their offsets: synchronously
 * once the file is open (see writeNow), else through the thread pool without waiting for each
 * other (`write()` only waits once WRITES_IN_FLIGHT pieces are on their way). Waiting for each
 * 64 KB write was the largest stall of `postroom collect` (1.5-3 s per 1,000 messages on a busy
 * machine). Memory stays bounded whatever the message size.
 */
export class BlobWriter {
  private readonly hash = createHash('sha256');
  private written = 0;
  private done = false;
  private fh: Promise<FileHandle> | null = null;
  /** The file once open (pieces may then be written synchronously, see writeNow). */
  private opened: FileHandle | null = null;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** File offset of the next piece. */
  private position = 0;
  /** Pieces issued and not yet awaited, oldest first. */
  private writes: Array<Promise<void>> = [];

  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
  ) {}

  get size(): number {
    return this.written;
  }

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.written += chunk.length;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < BUFFER_BYTES) return;
    if (this.opened && Date.now() >= this.store.syncWritesOffUntil) {
      this.writeNow(this.opened.fd);
      return;
    }
    this.issue();
    if (this.writes.length >= WRITES_IN_FLIGHT) await this.writes.shift();
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
   * Writes a piece synchronously: copying 128 KB into the page cache takes ~50 us, less than a
   * thread-pool round trip costs the event loop, and the pool threads competing for a CPU with
   * the download made `postroom collect` wait for its writes for seconds (measured: 3-6 s per
   * 5,000 messages against 0.4 s of synchronous writing, and ~1 s less system CPU). A write that
   * takes longer than SYNC_WRITE_SLOW_MS (the kernel throttling writers) turns this off for a
   * minute, for every writer of the store: then pieces go through the thread pool again.
   */
  private writeNow(fd: number): void {
    const { data, at } = this.take();
    const started = performance.now();
    const total = data.reduce((n, b) => n + b.length, 0);
    let done = fs.writevSync(fd, data, at);
    if (done < total) {
      const all = Buffer.concat(data, total);
      while (done < total) done += fs.writeSync(fd, all, done, total - done, at + done);
    }
    if (performance.now() - started > SYNC_WRITE_SLOW_MS) this.store.syncWritesOffUntil = Date.now() + 60_000;
  }

  /** Starts writing what is buffered at its offset through the thread pool; the chunks are handed over without a copy. */
  private issue(): void {
    this.fh ??= open(this.tmp, 'wx').then((fh) => (this.opened = fh));
    const { data, at } = this.take();
    const piece = this.fh.then((fh) => writeAll(fh, data, at));
    // Its failure is reported where it is awaited (write, sync); this only keeps it from counting as unhandled.
    piece.catch(() => undefined);
    this.writes.push(piece);
  }

  /** Makes the blob durable and returns its name (sha256, hex). */
  async commit(): Promise<string> {
    const [hash] = await this.store.persist([this]);
    return hash!;
  }

  /**
   * Ends writing without making anything durable yet, and names the blob. `BlobStore.persist`
   * then makes several sealed blobs durable together (their fsyncs overlap).
   */
  seal(): string {
    if (this.done) throw new Error('blob already sealed or aborted');
    this.done = true;
    this.digest = this.hash.digest('hex');
    return this.digest;
  }

  /** @internal used by BlobStore.persist: the rest of the bytes written, then fsync'd. */
  async sync(): Promise<void> {
    if (this.bufferedBytes > 0 || !this.fh) this.issue();
    const writes = this.writes;
    this.writes = [];
    await Promise.all(writes);
    const fh = await this.fh!;
    this.fh = null;
    this.opened = null;
    await fh.sync();
    await fh.close();
  }

  /** @internal used by BlobStore.persist */
  get tmpPath(): string {
    return this.tmp;
  }

  /** @internal the name given by seal() */
  digest: string | null = null;

  /** Removes a blob that was not persisted (sealed or not). */
  async abort(): Promise<void> {
    this.done = true;
    this.buffered = [];
    this.bufferedBytes = 0;
    // Pieces still being written must land (or fail) before their file is closed and removed.
    await Promise.allSettled(this.writes);
    this.writes = [];
    const fh = this.fh;
    this.fh = null;
    this.opened = null;
    await fh?.then((h) => h.close()).catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** Writes every byte of `data` at `position` (one writev; a short write goes on with the rest). */
async function writeAll(fh: FileHandle, data: Buffer[], position: number): Promise<void> {
  const total = data.reduce((n, b) => n + b.length, 0);
  let done = (await fh.writev(data, position)).bytesWritten;
  if (done === total) return;
  const all = Buffer.concat(data, total);
  while (done < total) done += (await fh.write(all, done, total - done, position + done)).bytesWritten;
}

/**
 * fsync of a directory (its new entries made durable). Callback fs, one promise for the three
 * calls: this runs once or twice per stored message, and fs/promises' FileHandle costs the
 * collector's main thread about twice the time per call.
 */
function syncDir(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(dir, 'r', (err, fd) => {
      if (err) return reject(err);
      fs.fsync(fd, (syncErr) => fs.close(fd, (closeErr) => (syncErr || closeErr ? reject(syncErr ?? closeErr) : resolve())));
    });
  });
}
