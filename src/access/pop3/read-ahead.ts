/**
 * Reading message files ahead of pipelined RETRs. A client that pipelines (RFC 2449) has the next
 * RETR commands already queued; reading their files while the current one is sent keeps the
 * file-system round trips in flight together instead of paying them one after the other (one
 * round trip through the thread pool costs ~0.1–0.2 ms on a loaded machine, and a message needs
 * two: open and read). DEPTH matches the RETR window of common pipelining clients (ours uses 16).
 *
 * Each message is opened and its first FIRST_CHUNK octets read. A message that fits (most mail)
 * is then complete in memory and its file is closed at once; a larger one keeps its descriptor for
 * the rest, which is streamed through the same buffer. Memory per session stays below
 * (DEPTH + 1) × FIRST_CHUNK.
 * Files read ahead and never used (the client DELE'd the message first, or left) are closed.
 */
import { closeQuietly, openForRead, readAt } from './files.js';

const DEPTH = 16;
export const FIRST_CHUNK = 64 * 1024;

/**
 * A message file being served: `buffer[0, length)` holds its first octets and, when there are
 * more, `fd` is open to read them. `buffer` is borrowed (FIRST_CHUNK octets): whoever takes the
 * file reads the rest through it, then gives it back with `giveBack`, and closes `fd`.
 */
export interface MessageFile {
  buffer: Buffer;
  length: number;
  fd: number | null;
}

/**
 * Read buffers, shared by all sessions: the sink copies what it is given (output.ts), so a buffer
 * is free again once its message is encoded, and serving mail allocates none.
 */
const pool: Buffer[] = [];
const POOL_MAX = 64;

function borrow(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafe(FIRST_CHUNK);
}

export function giveBack(buffer: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(buffer);
}

/** Opens and reads the start; the file is closed here unless more remains (or on any failure). */
export async function openMessage(path: string, size: number): Promise<MessageFile> {
  const fd = await openForRead(path);
  const buffer = borrow();
  try {
    const length = size > 0 ? await readAt(fd, buffer.subarray(0, Math.min(FIRST_CHUNK, size)), 0) : 0;
    const whole = length === size;
    if (whole) closeQuietly(fd);
    return { buffer, length, fd: whole ? null : fd };
  } catch (e) {
    giveBack(buffer);
    closeQuietly(fd);
    throw e;
  }
}

export class ReadAhead {
  private readonly reading = new Map<string, Promise<MessageFile>>();
  /** The first queued line (connection line number) not looked at yet; see retrieve.ts. */
  nextLine = 0;

  get full(): boolean {
    return this.reading.size >= DEPTH;
  }

  /** Starts reading `path` unless it is already being read or DEPTH files are in flight. */
  prefetch(path: string, size: number): void {
    if (this.full || this.reading.has(path)) return;
    const file = openMessage(path, size);
    file.catch(() => undefined); // reported when (if) it is taken
    this.reading.set(path, file);
  }

  /** The file, read ahead if it was, else read now. */
  take(path: string, size: number): Promise<MessageFile> {
    const ahead = this.reading.get(path);
    if (!ahead) return openMessage(path, size);
    this.reading.delete(path);
    return ahead;
  }

  /** Drops a file read ahead for a RETR that will not come (DELE got there first): frees its slot. */
  discard(path: string): void {
    const ahead = this.reading.get(path);
    if (!ahead) return;
    this.reading.delete(path);
    void release(ahead);
  }

  /** Closes what was read ahead and not taken. */
  async dispose(): Promise<void> {
    const left = [...this.reading.values()];
    this.reading.clear();
    await Promise.all(left.map(release));
  }
}

function release(file: Promise<MessageFile>): Promise<void> {
  return file.then(
    (m) => {
      if (m.fd !== null) closeQuietly(m.fd);
      giveBack(m.buffer);
    },
    () => undefined,
  );
}
