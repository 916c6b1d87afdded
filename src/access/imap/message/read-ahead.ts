/**
 * Reads the files of the next messages of a FETCH while the current one is being sent: small blobs
 * (the usual case) are read whole, several at once, so a client walking a mailbox is not paced by
 * one open/read/close after another. Large blobs are left to streaming.
 *
 * Each file is one open, one read of its known size and a close on this thread, through the
 * callback `fs` API (pop3/files.ts): `fs/promises` readFile added an fstat and a FileHandle per
 * file and was the largest cost of a FETCH BODY[] walk in the profile.
 */
import { closeQuietly, openForRead, readAt } from '../../pop3/files.js';

const WINDOW = 16;
export const READ_AHEAD_MAX = 512 * 1024;

export class ReadAhead {
  private readonly started = new Map<number, Promise<Buffer | null>>();

  constructor(
    private readonly pathOf: (blob: string) => string,
    private readonly items: ReadonlyArray<{ blob: string; size: number }>,
  ) {}

  /** The bytes of item `i` when it is small (null otherwise, or when the read failed). */
  get(i: number): Promise<Buffer | null> {
    for (let j = i; j < Math.min(this.items.length, i + WINDOW); j++) this.start(j);
    const p = this.started.get(i) ?? Promise.resolve(null);
    this.started.delete(i);
    return p;
  }

  private start(j: number): void {
    if (this.started.has(j)) return;
    const item = this.items[j]!;
    if (item.size > READ_AHEAD_MAX || item.size === 0) return void this.started.set(j, Promise.resolve(null));
    // A failed or short read falls back to streaming, which reports the error where it belongs.
    this.started.set(j, readWhole(this.pathOf(item.blob), item.size).catch(() => null));
  }
}

async function readWhole(path: string, size: number): Promise<Buffer | null> {
  const fd = await openForRead(path);
  try {
    const into = Buffer.allocUnsafe(size);
    const n = await readAt(fd, into, 0);
    return n === size ? into : null;
  } finally {
    closeQuietly(fd);
  }
}

/** Buffers for streaming large blobs, shared by sessions (what is read is copied before the next read). */
const STREAM_CHUNK = 256 * 1024;
const spare: Buffer[] = [];

/**
 * Bytes [start, end) of a file, as successive chunks of one reused buffer: each chunk is valid only
 * until the next is asked for (IMAP output copies it). Replaces a ReadStream per large message
 * (its 64 KB reads, stream machinery and, when a FETCH stopped early, an AbortError).
 */
export async function* readFileRange(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const fd = await openForRead(path);
  const buffer = spare.pop() ?? Buffer.allocUnsafe(STREAM_CHUNK);
  try {
    let at = start;
    while (at < end) {
      const n = await readAt(fd, buffer.subarray(0, Math.min(STREAM_CHUNK, end - at)), at);
      if (n === 0) break;
      at += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeQuietly(fd);
    if (spare.length < 4) spare.push(buffer);
  }
}
