/**
 * Content-addressed message files: each stored message is a file named by the sha256 of its bytes,
 * so a message delivered to 200 people is stored once.
 *
 * Durability: bytes go to tmp/, the file is fsync'd, renamed into place, and the directory is
 * fsync'd, so after a crash a blob either exists whole under its name or not at all.
 *
 * System calls: fsyncs always run in the thread pool (they wait for the disk). The others (open,
 * write into the page cache, close, mkdir, rename) take microseconds, and are made synchronously
 * while they stay fast: handing each to the pool cost the event loop more than the call itself
 * (a store does about ten per message; `postroom collect` spent seconds per 5,000 messages on the
 * round trips, see docs/benchmarks.md). One slower than SLOW_SYNC_MS (a disk throttling writers)
 * sends them all through the pool for a minute.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs, { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MailError } from '../errors.js';

const openAsync = promisify(fs.open);
const writevAsync = promisify(fs.writev);
const writeAsync = promisify(fs.write);
const fsyncAsync = promisify(fs.fsync);
const closeAsync = promisify(fs.close);

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
/** A synchronous call slower than this sends every call back to the thread pool for a minute. */
const SLOW_SYNC_MS = 2;

export class BlobStore {
  private readonly tmpDir: string;
  /** @internal until when (ms) every call goes through the thread pool (see the file's comment). */
  syncCallsOffUntil = 0;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  /** @internal whether a quick system call may be made synchronously now. */
  get syncCalls(): boolean {
    return Date.now() >= this.syncCallsOffUntil;
  }

  /** @internal makes a quick system call synchronously, and turns that off if it was slow. */
  timed<T>(call: () => T): T {
    const started = performance.now();
    try {
      return call();
    } finally {
      if (performance.now() - started > SLOW_SYNC_MS) this.syncCallsOffUntil = Date.now() + 60_000;
    }
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
    return new BlobWriter(this, path.join(this.tmpDir, `${Date.now()}-${this.tmpPrefix}-${++this.tmpCount}`));
  }

  /** Temporary names: random per store (other processes write into tmp/ too), then counted (no random bytes per message). */
  private readonly tmpPrefix = randomBytes(8).toString('hex');
  private tmpCount = 0;

  /**
   * Makes sealed (or still open) blobs durable together: each file written out, fsync'd and
   * renamed into place, all of them at once (the file system commits concurrent fsyncs together;
   * one after the other, their round trips added up), then each directory that got a new entry
   * fsync'd once: the blobs' directories, and the parent of any directory that mkdir had to
   * create (its entry is new too). Returns their names in order. On failure none of them may be
   * relied on; their temporary files are removed.
   */
  async persist(writers: BlobWriter[]): Promise<string[]> {
    const names = writers.map((w) => w.digest ?? w.seal());
    const dirs = new Set<string>();
    // Directories this call creates are durable once its fsyncs are done; another call that
    // finds one of them already there waits for that before its rows may name a file inside.
    let settleCreated!: (ok: boolean) => void;
    const createdDurable = new Promise<boolean>((resolve) => (settleCreated = resolve));
    const created: string[] = [];
    const othersCreated = new Set<Promise<boolean>>();
    const placed = await Promise.allSettled(
      writers.map(async (w, i) => {
        const target = this.pathOf(names[i]!);
        const dir = path.dirname(target);
        const first = this.syncCalls ? this.timed(() => fs.mkdirSync(dir, { recursive: true })) : await mkdir(dir, { recursive: true });
        for (let d = dir; first !== undefined && d !== path.dirname(first); d = path.dirname(d)) {
          dirs.add(path.dirname(d));
          created.push(d);
          this.creating.set(d, createdDurable);
        }
        for (let d = dir; first === undefined && d !== this.root; d = path.dirname(d)) {
          const pending = this.creating.get(d);
          if (pending && pending !== createdDurable) othersCreated.add(pending);
        }
        dirs.add(dir);
        await w.sync();
        if (this.syncCalls) this.timed(() => fs.renameSync(w.tmpPath, target));
        else await rename(w.tmpPath, target);
      }),
    );
    try {
      const failed = placed.find((p) => p.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all([...dirs].map((d) => this.syncDir(d)));
      settleCreated(true);
      if ((await Promise.all(othersCreated)).includes(false)) throw new Error('a directory created alongside could not be made durable');
    } catch (err) {
      settleCreated(false);
      await Promise.all(writers.map((w) => rm(w.tmpPath, { force: true })));
      throw new MailError({ message: `could not store ${writers.length} message file(s) in ${this.root}`, cause: err });
    } finally {
      for (const d of created) if (this.creating.get(d) === createdDurable) this.creating.delete(d);
    }
    return names;
  }

  /** Directories a `persist` in this process created and has not made durable yet (see persist). */
  private readonly creating = new Map<string, Promise<boolean>>();

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
 * while the store allows it (see the file's comment), else through the thread pool without
 * waiting for each other (`write()` only waits once WRITES_IN_FLIGHT pieces are on their way).
 * Waiting for each 64 KB write was the largest stall of `postroom collect`. Memory stays bounded
 * whatever the message size.
 */
export class BlobWriter {
  private readonly hash = createHash('sha256');
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
    bytesSinceGc += chunk.length;
    if (bytesSinceGc >= GC_EVERY_BYTES) {
      bytesSinceGc = 0;
      minorGc();
    }
    if (this.bufferedBytes < BUFFER_BYTES) return;
    if (this.writeNow()) return;
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

  /** Writes what is buffered synchronously, when the store allows it; false if it did not. */
  private writeNow(): boolean {
    if (!this.store.syncCalls || this.opening) return false;
    this.fd ??= this.store.timed(() => fs.openSync(this.tmp, 'wx'));
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
    this.opening ??= this.fd !== null ? Promise.resolve(this.fd) : openAsync(this.tmp, 'wx').then((fd) => (this.fd = fd));
    const { data, at } = this.take();
    const piece = this.opening.then((fd) => writeAll(fd, data, at));
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

  /** @internal used by BlobStore.persist: the rest of the bytes written, then fsync'd and closed. */
  async sync(): Promise<void> {
    if (this.bufferedBytes > 0 || (this.fd === null && !this.opening)) {
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
    await Promise.allSettled(this.writes.splice(0));
    const fd = this.fd ?? (await this.opening?.catch(() => null)) ?? null;
    this.fd = null;
    this.opening = null;
    if (fd !== null) await closeAsync(fd).catch(() => undefined);
    await rm(this.tmp, { force: true });
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
