/**
 * Content-addressed message files: each stored message is a file named by the sha256 of its bytes,
 * so a message delivered to 200 people is stored once.
 *
 * Durability: bytes go to tmp/, the file is fsync'd, renamed into place, and the directory is
 * fsync'd, so after a crash a blob either exists whole under its name or not at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MailError } from '../errors.js';

/** Bytes a writer gathers before writing them out. */
const BUFFER_BYTES = 64 * 1024;

export class BlobStore {
  private readonly tmpDir: string;

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
   * Makes sealed (or still open) blobs durable together: every file fsync'd (in parallel: the file
   * system can commit them as one), renamed into place, and each directory fsync'd. Returns their
   * names in order. On failure none of them may be relied on; their temporary files are removed.
   */
  async persist(writers: BlobWriter[]): Promise<string[]> {
    const names = writers.map((w) => w.digest ?? w.seal());
    try {
      await Promise.all(writers.map((w) => w.sync()));
      const dirs = new Set<string>();
      for (const [i, w] of writers.entries()) {
        const target = this.pathOf(names[i]!);
        const dir = path.dirname(target);
        if (!dirs.has(dir)) await mkdir(dir, { recursive: true });
        dirs.add(dir);
        await rename(w.tmpPath, target);
      }
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
 * messages of its batch. Memory stays bounded whatever the message size.
 */
export class BlobWriter {
  private readonly hash = createHash('sha256');
  private written = 0;
  private done = false;
  private fh: FileHandle | null = null;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

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
    if (this.bufferedBytes >= BUFFER_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.fh) this.fh = await open(this.tmp, 'wx');
    const data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
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
    if (this.bufferedBytes > 0 || !this.fh) await this.flush();
    await this.fh!.sync();
    await this.fh!.close();
    this.fh = null;
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
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    await rm(this.tmp, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
