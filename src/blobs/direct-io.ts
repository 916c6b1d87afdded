/**
 * Writing large messages past the page cache (O_DIRECT), so that their bytes go from our memory
 * to the disk without the kernel putting them into page-cache pages first.
 *
 * Why: in `postroom collect` (bench/collect, docs/benchmarks.md) writing the large messages into
 * the page cache was the largest cost of the session: `writeBuffers` took 1.4-1.5 s of the event
 * loop for the corpus's ~920 MB of large messages (`--cpu-prof`), while `perf record` in the same
 * run counted only ~0.5 s of CPU in those system calls. The rest is the page cache's new pages: each
 * one is memory the kernel has not used for a while, and on a virtual machine that hands free memory
 * back to its host (free page reporting, as on the machines here) every such page is a fault in the
 * host, which the guest's profilers cannot see. Touching 1 GB of fresh memory took 1.2-2.9 s here,
 * touching it again right after 0.38 s. A direct write takes the bytes from a few buffers this
 * process uses again and again, so no page is new. A message being collected is not read again
 * soon (a client fetches it later, if at all), so the page cache buys nothing for it. Written
 * directly, the event loop only copies each piece into an aligned buffer (a memcpy in user space)
 * and the write itself waits in the thread pool. Small messages (most mail, but ~5 % of the bytes)
 * still go through the page cache, into batch files (blob-store.ts).
 *
 * O_DIRECT needs the memory, the file offset and the length aligned (512 bytes or 4 KB, by
 * device). Node cannot allocate aligned memory nor tell a buffer's address, so alignment is found
 * by trying: a 4 KB O_DIRECT write from each 16-byte offset of a fresh allocation into a probe
 * file, until one is accepted (EINVAL means misaligned). An ArrayBuffer's memory never moves, so
 * every buffer carved from that point at multiples of PIECE_BYTES stays aligned. Where the file
 * system refuses O_DIRECT (some network file systems), or no offset is accepted, the store writes
 * through the page cache as before.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { MailError } from '../errors.js';

const writeAsync = promisify(fs.write);

/** Bytes per direct write (and per buffer). A multiple of ALIGN. */
export const PIECE_BYTES = 1024 * 1024;
/** The alignment asked of offsets and lengths; a whole page satisfies 512-byte and 4 KB devices. */
export const ALIGN = 4096;
/**
 * Buffers per arena (one allocation, probed once). Each direct writer holds two at most (one
 * filling, one being written), and a collector has a few messages on their way at once.
 */
const ARENA_PIECES = 8;
/** Free buffers kept for later writers; more than this are left to the garbage collector. */
const KEEP_FREE = 16;

/**
 * Aligned buffers for O_DIRECT writes into one directory's file system. `take` hands out a
 * buffer; `give` returns it. New arenas are allocated (and probed) only when none is free.
 */
export class DirectBuffers {
  private readonly free: Buffer[] = [];
  private handedOut = 0;

  private constructor(private readonly dir: string) {}

  /** Null when files in `dir` cannot be written with O_DIRECT. */
  static probe(dir: string): DirectBuffers | null {
    const buffers = new DirectBuffers(dir);
    return buffers.allocate() ? buffers : null;
  }

  /** An aligned buffer of PIECE_BYTES. */
  take(): Buffer {
    if (this.free.length === 0 && !this.allocate()) {
      // The first arena aligned on this file system; a later one not aligning would be a kernel change under us.
      throw new MailError({ message: `no memory aligned for O_DIRECT writes in ${this.dir} could be found`, temporary: true });
    }
    this.handedOut++;
    return this.free.pop()!;
  }

  give(buffer: Buffer): void {
    this.handedOut--;
    if (this.free.length < KEEP_FREE) this.free.push(buffer);
  }

  /** @internal buffers handed out and not given back yet (tests: every one comes back). */
  get outstanding(): number {
    return this.handedOut;
  }

  /** Adds an arena's buffers to the free list; false if O_DIRECT is refused or nothing aligns. */
  private allocate(): boolean {
    const bytes = ARENA_PIECES * PIECE_BYTES;
    const raw = Buffer.allocUnsafeSlow(bytes + ALIGN);
    const start = alignedOffset(this.dir, raw);
    if (start === null) return false;
    for (let i = 0; i < ARENA_PIECES; i++) this.free.push(raw.subarray(start + i * PIECE_BYTES, start + (i + 1) * PIECE_BYTES));
    return true;
  }
}

/** The first offset into `raw` from which an O_DIRECT write is accepted, or null (see the file's comment). */
function alignedOffset(dir: string, raw: Buffer): number | null {
  const probe = path.join(dir, `.direct-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = fs.openSync(probe, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_DIRECT, 0o600);
  } catch {
    // EINVAL: this file system has no O_DIRECT. Anything else (no space, permissions) shows up
    // again, with a clear message, when the message file itself is created.
    return null;
  }
  try {
    // `raw` has ALIGN bytes to spare; malloc'd memory is 16-byte aligned at least.
    for (let k = 0; k < ALIGN; k += 16) {
      try {
        fs.writeSync(fd, raw, k, ALIGN, 0);
        return k;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') return null;
      }
    }
    return null;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(probe, { force: true });
  }
}

/**
 * A file written with O_DIRECT: bytes are copied into an aligned buffer, and each full buffer is
 * written through the thread pool while the next one fills (at most one write on its way, so a
 * writer holds two buffers at most, and a slow disk holds the sender back). The last piece's
 * whole blocks are written directly too; the bytes after them (less than a block), once those
 * have landed, through the page cache with a second descriptor: padding the block and truncating
 * the file afterwards made ext4 read that block back from the disk, a wait of ~0.3 ms per message
 * on the event loop.
 */
export class DirectFile {
  private filling: Buffer | null = null;
  private used = 0;
  /** File offset of the next piece. */
  private position = 0;
  /** The piece being written, if any. */
  private writing: Promise<void> | null = null;
  /** Once the bytes ended: the last piece's write and every one before it. */
  private ending: Promise<void> | null = null;

  private constructor(
    readonly fd: number,
    private readonly file: string,
    private readonly buffers: DirectBuffers,
  ) {}

  /** Creates `file` (it must not exist) for direct writes. */
  static create(file: string, buffers: DirectBuffers): DirectFile {
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_DIRECT;
    return new DirectFile(fs.openSync(file, flags, 0o644), file, buffers);
  }

  /** Copies `chunk` in; resolves once the caller may go on (the previous piece written, when a buffer filled). */
  async write(chunk: Buffer): Promise<void> {
    let from = 0;
    while (from < chunk.length) {
      this.filling ??= this.buffers.take();
      const n = chunk.copy(this.filling, this.used, from);
      this.used += n;
      from += n;
      if (this.used === PIECE_BYTES) await this.writeFilling(PIECE_BYTES);
    }
  }

  /**
   * No more bytes: the last piece starts on its way now (see the class's comment); resolves once
   * every byte is written. Called as soon as a message ends, not at `persist`: a collector makes a
   * batch durable only once the whole batch is downloaded, and holding each message's last buffer
   * until then kept dozens of them in use and made new ones allocated for every batch.
   */
  end(): Promise<void> {
    this.ending ??= this.writeRest();
    return this.ending;
  }

  private async writeRest(): Promise<void> {
    const whole = this.used - (this.used % ALIGN);
    const tailAt = this.position + whole;
    // Copied out: the buffer goes back to the others once its blocks are written.
    const tail = this.filling && whole < this.used ? Buffer.from(this.filling.subarray(whole, this.used)) : null;
    if (whole > 0) {
      await this.writeFilling(whole);
    } else if (this.filling) {
      this.buffers.give(this.filling);
      this.filling = null;
      this.used = 0;
    }
    await this.writing;
    // Only once no direct write is on its way: ext4 holds the file's lock through a direct write
    // that allocates blocks, so a write through the page cache beside one waited for the disk
    // (0.2 s of the event loop over bench/collect's ~900 large messages, `--cpu-prof`).
    if (tail) {
      const fd = fs.openSync(this.file, fs.constants.O_WRONLY);
      try {
        for (let done = 0; done < tail.length; ) done += fs.writeSync(fd, tail, done, tail.length - done, tailAt + done);
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /** Waits for the write on its way (its outcome does not matter any more) and gives the buffers back. */
  async settle(): Promise<void> {
    await this.ending?.catch(() => undefined);
    await this.writing?.catch(() => undefined);
    this.writing = null;
    if (this.filling) this.buffers.give(this.filling);
    this.filling = null;
  }

  private async writeFilling(length: number): Promise<void> {
    const piece = this.filling!;
    const at = this.position;
    this.filling = null;
    this.used = 0;
    this.position += length;
    try {
      // At most one piece on its way: a disk slower than the sender holds the sender back.
      await this.writing;
    } catch (err) {
      this.buffers.give(piece);
      throw err;
    }
    const writing = writeWhole(this.fd, piece, length, at).finally(() => this.buffers.give(piece));
    // Its failure is reported where it is awaited (the next piece, end); this only keeps it from counting as unhandled.
    writing.catch(() => undefined);
    this.writing = writing;
  }
}

/** One direct write of `length` bytes of `piece` at `position`; a short write goes on from where it stopped (still aligned: whole blocks). */
async function writeWhole(fd: number, piece: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await writeAsync(fd, piece, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error(`O_DIRECT write of ${length - done} bytes at ${position + done} wrote nothing`);
    done += bytesWritten;
  }
}
