/**
 * Message files by descriptor: synchronously while the page cache serves them (SyncReads, below),
 * else through the callback `fs` API. Through libuv's thread pool, measured on 5,000 blobs
 * (2 cores), the callback API with 16 files in flight reads ~60–78k files/s where `fs/promises`
 * FileHandles manage ~30–37k: no FileHandle object (with its GC tracking) and no promise-based
 * request per call.
 */
import fs from 'node:fs';

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
/** Consecutive slow reads that mean the files are not cached: back to the thread pool. */
const SLOW_READS_IN_A_ROW = 3;

/**
 * Small message files read synchronously, on this thread, while the page cache serves them. From
 * the cache an open and a read cost ~8 µs here; through the thread pool the same two calls cost
 * ~30–60 µs of CPU (a futex hand-off to a pool thread and back through the event loop for each),
 * and each return to the event loop in the middle of a pipelined burst costs a poll and a read of
 * the socket as well.
 *
 * When SLOW_READS_IN_A_ROW calls in a row take longer than SLOW_SYNC_READ_MS (the files are not
 * cached), `fast` turns off for good: the caller goes back to the thread pool, so a cold mailbox
 * stalls other sessions for a few reads, not one per message. One slow read is not enough: on a
 * busy machine a read from the cache is now and then preempted for longer than that (measured on
 * the benchmark at load 6: every session saw at least one, and switched for nothing).
 */
export class SyncReads {
  /** False once reads were slow SLOW_READS_IN_A_ROW times in a row. */
  fast = true;
  private slowInARow = 0;

  constructor(private readonly slowMs = SLOW_SYNC_READ_MS) {}

  /** Opens `path` and fills `into` from its start, here and now. The caller closes `fd`. */
  openRead(path: string, into: Buffer): { fd: number; length: number } {
    const started = performance.now();
    const fd = fs.openSync(path, 'r');
    try {
      return { fd, length: into.length > 0 ? fs.readSync(fd, into, 0, into.length, 0) : 0 };
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
    if (performance.now() - started <= this.slowMs) this.slowInARow = 0;
    else if (++this.slowInARow >= SLOW_READS_IN_A_ROW) this.fast = false;
  }
}
