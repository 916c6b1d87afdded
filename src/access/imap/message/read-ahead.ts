/**
 * Reads the files of the next messages of a FETCH while the current one is being sent: small blobs
 * (the usual case) are read whole, several at once, so a client walking a mailbox is not paced by
 * one open/read/close after another. Large blobs are left to streaming.
 *
 * Each file is one open, one read of its known size and a close: synchronously while that stays
 * fast (see ReadAhead), else through the callback `fs` API (pop3/files.ts). `fs/promises` readFile
 * (FileHandle, fstat, read, close) was the largest cost of a FETCH BODY[] walk in the profile.
 */
import type { BlobLocation } from '../../../blobs/blob-store.js';
import { closeQuietly, openForRead, readAt, SyncReads } from '../../pop3/files.js';

const WINDOW = 16;
export const READ_AHEAD_MAX = 512 * 1024;
/** Blobs up to this size are read synchronously while reads stay fast (see ReadAhead). */
const SYNC_MAX = READ_AHEAD_MAX;

/**
 * Small blobs are read synchronously, in one open/read/close on this thread, while the files are in
 * the page cache: ~8 µs a file there against ~30 µs through the thread pool (measured on 2 cores,
 * and most of that pool round trip is CPU of this thread too: open/read were half of the server's
 * CPU in a FETCH BODY[] walk). Reads that stay slow (the disk was involved: pop3/files.ts
 * SyncReads) switch this FETCH to reading ahead through the thread pool, so a cold mailbox does
 * not stall other sessions for more than a few files.
 *
 * A buffer from a synchronous read is reused: it is valid until the next `get` (FETCH copies the
 * message into its output before asking for the next).
 */
export class ReadAhead {
  private readonly started = new Map<number, Promise<Buffer | null>>();
  private readonly sync = new SyncReads();
  private syncBuffer: Buffer | null = null;

  constructor(
    private readonly locate: (blob: string) => BlobLocation,
    private readonly items: ReadonlyArray<{ blob: string; size: number }>,
  ) {}

  /** The bytes of item `i` when it is small (null otherwise, or when the read failed). */
  get(i: number): Promise<Buffer | null> {
    const item = this.items[i];
    if (item && this.readsSync(item.size) && !this.started.has(i)) {
      const bytes = this.readSync(item);
      for (let j = i + 1; j < Math.min(this.items.length, i + 1 + WINDOW); j++) this.start(j);
      return Promise.resolve(bytes);
    }
    for (let j = i; j < Math.min(this.items.length, i + WINDOW); j++) this.start(j);
    this.start(i);
    const p = this.started.get(i) ?? Promise.resolve(null);
    this.started.delete(i);
    return p;
  }

  private readsSync(size: number): boolean {
    return this.sync.fast && size > 0 && size <= SYNC_MAX;
  }

  private readSync(item: { blob: string; size: number }): Buffer | null {
    if (!this.syncBuffer || this.syncBuffer.length < item.size) this.syncBuffer = Buffer.allocUnsafe(Math.max(item.size, 64 * 1024));
    const into = this.syncBuffer.subarray(0, item.size);
    try {
      const at = this.locate(item.blob);
      const { fd, length } = this.sync.openRead(at.path, into, at.offset);
      closeQuietly(fd);
      return length === item.size ? into : null;
    } catch {
      // Falls back to streaming, which reports the error where it belongs.
      return null;
    }
  }

  private start(j: number): void {
    if (this.started.has(j)) return;
    const item = this.items[j]!;
    if (this.readsSync(item.size)) return; // read when asked for
    if (item.size > READ_AHEAD_MAX || item.size === 0) return void this.started.set(j, Promise.resolve(null));
    // A failed or short read falls back to streaming, which reports the error where it belongs.
    this.started.set(j, readWhole(this.locate(item.blob), item.size).catch(() => null));
  }
}

async function readWhole(at: BlobLocation, size: number): Promise<Buffer | null> {
  const fd = await openForRead(at.path);
  try {
    const into = Buffer.allocUnsafe(size);
    const n = await readAt(fd, into, at.offset);
    return n === size ? into : null;
  } finally {
    closeQuietly(fd);
  }
}

/** Buffers for streaming large blobs, shared by sessions (what is read is copied before the next read). */
const STREAM_CHUNK = 256 * 1024;
const spare: Buffer[] = [];

/**
 * Bytes [start, end) of a message (counted from its start in its file), as successive chunks of one reused buffer: each chunk is valid only
 * until the next is asked for (IMAP output copies it). Replaces a ReadStream per large message
 * (its 64 KB reads, stream machinery and, when a FETCH stopped early, an AbortError).
 */
export async function* readFileRange(file: BlobLocation, start: number, end: number): AsyncGenerator<Buffer> {
  const fd = await openForRead(file.path);
  const buffer = spare.pop() ?? Buffer.allocUnsafe(STREAM_CHUNK);
  try {
    let at = start;
    while (at < end) {
      const n = await readAt(fd, buffer.subarray(0, Math.min(STREAM_CHUNK, end - at)), file.offset + at);
      if (n === 0) break;
      at += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeQuietly(fd);
    if (spare.length < 4) spare.push(buffer);
  }
}
