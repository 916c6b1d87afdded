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
    const tmp = path.join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'wx');
    return new BlobWriter(this, fh, tmp);
  }

  read(hash: string, range?: { start: number; end?: number }): ReadStream {
    return createReadStream(this.pathOf(hash), range);
  }

  async size(hash: string): Promise<number> {
    return (await stat(this.pathOf(hash))).size;
  }
}

export class BlobWriter {
  private readonly hash = createHash('sha256');
  private written = 0;
  private done = false;

  constructor(
    private readonly store: BlobStore,
    private readonly fh: FileHandle,
    private readonly tmp: string,
  ) {}

  get size(): number {
    return this.written;
  }

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
    this.written += chunk.length;
  }

  /** Makes the blob durable and returns its name (sha256, hex). */
  async commit(): Promise<string> {
    if (this.done) throw new Error('blob already committed or aborted');
    this.done = true;
    const digest = this.hash.digest('hex');
    const target = this.store.pathOf(digest);
    try {
      await this.fh.sync();
      await this.fh.close();
      const dir = path.dirname(target);
      await mkdir(dir, { recursive: true });
      await rename(this.tmp, target);
      await syncDir(dir);
    } catch (err) {
      await rm(this.tmp, { force: true });
      throw new MailError({ message: `could not store message file ${target}`, cause: err });
    }
    return digest;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
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
