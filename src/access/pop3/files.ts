/**
 * Message files by descriptor: synchronously while the page cache serves them (SyncReads, below),
 * else through the callback `fs` API. Through libuv's thread pool, measured on 5,000 blobs
 * (2 cores), the callback API with 16 files in flight reads ~60–78k files/s where `fs/promises`
 * FileHandles manage ~30–37k: no FileHandle object (with its GC tracking) and no promise-based
 * request per call.
 */
import fs from 'node:fs';
import { SlowStreak } from '../../util/slow-streak.js';

export function openForRead(path: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Reads up to `into.length` octets at `position`; resolves with the count (0 at end of file). */
export function readAt(fd: number, into: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, into, 0, into.length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/**
 * Closes here and now: close(2) of a read-only descriptor does no I/O on a local file system, so
 * it costs ~1 µs on this thread, against a thread-pool round trip (one of the three a message
 * needed; ~7 % of the server's CPU per message on the benchmark). A failure loses nothing.
 */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // EBADF/EIO on a read-only descriptor: nothing was written, nothing to report.
  }
}

/** A synchronous read slower than this may have waited for the disk. */
const SLOW_SYNC_READ_MS = 1;

/**
 * Small message files read synchronously, on this thread, while the page cache serves them. From
 * the cache an open and a read cost ~8 µs here; through the thread pool the same two calls cost
 * ~30–60 µs of CPU (a futex hand-off to a pool thread and back through the event loop for each),
 * and each return to the event loop in the middle of a pipelined burst costs a poll and a read of
 * the socket as well.
 *
 * When three calls in a row take longer than SLOW_SYNC_READ_MS (the files are not cached; see
 * SlowStreak for why one is not enough), `fast` turns off for good: the caller goes back to the
 * thread pool, so a cold mailbox stalls other sessions for a few reads, not one per message.
 */
export class SyncReads {
  /** False once reads were slow three times in a row (SlowStreak). */
  fast = true;
  private readonly streak: SlowStreak;

  constructor(slowMs = SLOW_SYNC_READ_MS) {
    this.streak = new SlowStreak(slowMs);
  }

  /** Opens `path` and fills `into` from `position` (a message's start in its file), here and now. The caller closes `fd`. */
  openRead(path: string, into: Buffer, position = 0): { fd: number; length: number } {
    const started = performance.now();
    const fd = fs.openSync(path, 'r');
    try {
      return { fd, length: into.length > 0 ? fs.readSync(fd, into, 0, into.length, position) : 0 };
    } catch (e) {
      closeQuietly(fd);
      throw e;
    } finally {
      this.timed(started);
    }
  }

  /** Reads up to `into.length` octets at `position`, here and now (0 at end of file). */
  readAt(fd: number, into: Buffer, position: number): number {
    const started = performance.now();
    try {
      return fs.readSync(fd, into, 0, into.length, position);
    } finally {
      this.timed(started);
    }
  }

  private timed(started: number): void {
    if (this.streak.slow(started)) this.fast = false;
  }
}
