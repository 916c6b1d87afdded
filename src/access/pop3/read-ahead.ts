/**
 * Opening message files for RETR and TOP, and reading them ahead of pipelined RETRs.
 *
 * While the files come from the page cache (the usual case), a file is read synchronously when its
 * RETR is answered (files.ts SyncReads): a pipelined burst of RETRs is then answered in one turn of
 * the event loop, as Dovecot does, with no thread-pool round trip and no socket poll per message.
 * Once a read is slow, the session switches to reading ahead through the thread pool: a client
 * that pipelines (RFC 2449) has the next RETR commands already queued, and reading their files
 * while the current one is sent keeps the round trips in flight together instead of paying them
 * one after the other (~0.1–0.2 ms each on a loaded machine, two per message: open and read).
 * DEPTH matches the RETR window of common pipelining clients (ours uses 16).
 *
 * Each message is opened and its first FIRST_CHUNK octets read. A message that fits (most mail)
 * is then complete in memory and its file is closed at once; a larger one keeps its descriptor for
 * the rest, which is read (`readMore`) through the same buffer. Memory per session stays below
 * (DEPTH + 1) × FIRST_CHUNK.
 * Files read ahead and never used (the client DELE'd the message first, or left) are closed.
 */
import type { BlobLocation } from '../../blobs/blob-store.js';
import { closeQuietly, openForRead, readAt, SyncReads } from './files.js';

const DEPTH = 16;
export const FIRST_CHUNK = 64 * 1024;

/**
 * A message file being served: `buffer[0, length)` holds its first octets and, when there are
 * more, `fd` is open to read them (the message starts at `offset` in its file: a batch file holds
 * several). Whoever takes the file closes `fd` and, when `borrowed` (a read-ahead buffer of the
 * shared pool), gives `buffer` back with `giveBack` once it is encoded.
 */
export interface MessageFile {
  buffer: Buffer;
  length: number;
  fd: number | null;
  offset: number;
  borrowed: boolean;
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

/** Opens and reads the start through the thread pool; the file is closed here unless more remains (or on any failure). */
export async function openMessage(at: BlobLocation, size: number): Promise<MessageFile> {
  const fd = await openForRead(at.path);
  const buffer = borrow();
  try {
    return started(fd, at.offset, buffer, size > 0 ? await readAt(fd, firstChunk(buffer, size), at.offset) : 0, size, true);
  } catch (e) {
    giveBack(buffer);
    closeQuietly(fd);
    throw e;
  }
}

function firstChunk(buffer: Buffer, size: number): Buffer {
  return buffer.subarray(0, Math.min(FIRST_CHUNK, size));
}

/** The file once its first chunk is read: closed at once when that was all of it. */
function started(fd: number, offset: number, buffer: Buffer, length: number, size: number, borrowed: boolean): MessageFile {
  const whole = length === size;
  if (whole) closeQuietly(fd);
  return { buffer, length, fd: whole ? null : fd, offset, borrowed };
}

/** What the read-ahead map is keyed by: a message's place. */
const keyOf = (at: BlobLocation) => `${at.offset}@${at.path}`;

export class ReadAhead {
  private readonly reading = new Map<string, Promise<MessageFile>>();
  private readonly sync = new SyncReads();
  /** The first queued line (connection line number) not looked at yet; see retrieve.ts. */
  nextLine = 0;

  /** False while files are read synchronously when taken (reading ahead would gain nothing). */
  get readsAhead(): boolean {
    return !this.sync.fast;
  }

  get full(): boolean {
    return this.reading.size >= DEPTH;
  }

  /** Starts reading the message at `at` unless reads are synchronous, it is already being read or DEPTH files are in flight. */
  prefetch(at: BlobLocation, size: number): void {
    const key = keyOf(at);
    if (this.sync.fast || this.full || this.reading.has(key)) return;
    const file = openMessage(at, size);
    file.catch(() => undefined); // reported when (if) it is taken
    this.reading.set(key, file);
  }

  /**
   * The file: read ahead if it was, else read now, synchronously (into `space`, FIRST_CHUNK octets
   * of the caller's) while that is fast. Throws or rejects if it cannot be read.
   */
  take(at: BlobLocation, size: number, space: Buffer): MessageFile | Promise<MessageFile> {
    const key = keyOf(at);
    const ahead = this.reading.get(key);
    if (ahead) {
      this.reading.delete(key);
      return ahead;
    }
    if (!this.sync.fast) return openMessage(at, size);
    const { fd, length } = this.sync.openRead(at.path, firstChunk(space, size), at.offset);
    return started(fd, at.offset, space, length, size, false);
  }

  /** Reads more of a message `take` left open, into `into` from `position` in the message: the octet count (0 at the file's end). */
  readMore(file: MessageFile, into: Buffer, position: number): number | Promise<number> {
    const fd = file.fd!;
    return this.sync.fast ? this.sync.readAt(fd, into, file.offset + position) : readAt(fd, into, file.offset + position);
  }

  /** Drops a file read ahead for a RETR that will not come (DELE got there first): frees its slot. */
  discard(at: BlobLocation): void {
    const key = keyOf(at);
    const ahead = this.reading.get(key);
    if (!ahead) return;
    this.reading.delete(key);
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
      if (m.borrowed) giveBack(m.buffer);
    },
    () => undefined,
  );
}
