/**
 * The bytes a connection has queued for its client, copied into fixed blocks that are reused.
 *
 * Why copy: serving mail used to queue slices of each read buffer (two per bare-LF line) and
 * concatenate them before writing, so every message cost several fresh buffers; at thousands of
 * messages a second that external memory kept V8's major GC busy. Now a message is copied once,
 * from its read buffer into a block, and a block goes back into use as soon as the socket has
 * taken it (see Pop3Connection.flush), so a busy session allocates almost nothing.
 *
 * Blocks may carry room after their output area for reading a message chunk into (`readSpace`,
 * POP3 RETR): a line copied from there to the output area of the same block is one
 * `copyWithin` (~40 ns for a 70-octet line), where Buffer#copy between two buffers costs ~90 ns
 * and allocates a view. A bare-LF message is copied line by line, so that is most of its cost.
 */
import type { WireSink } from './wire.js';

export const BLOCK = 64 * 1024;
const SPARES = 2;
const SHORT = 16;

/**
 * Blocks that connections let go when they went idle, for the next connection that writes (one
 * list per block size). A pipelining client leaves its session idle between bursts hundreds of
 * times a second; allocating fresh blocks for each burst was measured as GC work on every thread.
 */
const idle = new Map<number, Buffer[]>();
const IDLE_MAX = 16;

export class OutputBuffer implements WireSink {
  private block: Buffer | null = null;
  private used = 0;
  private readonly full: Buffer[] = [];
  private readonly spare: Buffer[] = [];
  private queued = 0;

  /** `readRoom`: octets after each block's output area that `readSpace` hands out (0: none). */
  constructor(private readonly readRoom = 0) {}

  /** Octets waiting to be written. */
  get size(): number {
    return this.queued;
  }

  append(src: Buffer, start: number, end: number): void {
    if (end - start <= SHORT && this.block && this.used + (end - start) < BLOCK) {
      // CRLF, a stuffed dot: Buffer#copy costs more in setting up than in copying a few bytes.
      const block = this.block;
      for (let i = start; i < end; i++) block[this.used++] = src[i]!;
      this.queued += end - start;
      return;
    }
    while (start < end) {
      const block = this.current();
      const n = Math.min(end - start, BLOCK - this.used);
      // Blocks have their own ArrayBuffer at offset 0: src is in this block's read room, or elsewhere.
      if (src.buffer === block.buffer) block.copyWithin(this.used, src.byteOffset + start, src.byteOffset + start + n);
      else src.copy(block, this.used, start, start + n);
      this.used += n;
      this.queued += n;
      start += n;
      if (this.used === BLOCK) this.seal();
    }
  }

  /**
   * A reply line; latin1, as every POP3 reply Postroom makes is ASCII. IMAP passes 'utf8' (its
   * responses may carry UTF-8 in literals and quoted strings).
   */
  appendText(text: string, encoding: 'latin1' | 'utf8' = 'latin1'): void {
    const block = this.current();
    // A UTF-8 text is never shorter in octets than in UTF-16 units: only count them when it may fit.
    if (text.length <= BLOCK - this.used && (encoding === 'latin1' || Buffer.byteLength(text, 'utf8') <= BLOCK - this.used)) {
      const n = block.write(text, this.used, encoding);
      this.used += n;
      this.queued += n;
      if (this.used === BLOCK) this.seal();
    } else {
      const bytes = Buffer.from(text, encoding);
      this.append(bytes, 0, bytes.length);
    }
  }

  /**
   * Everything waiting, for one write: `chunks` to write and the `blocks` they live in, to give
   * back through `recycle` once the socket no longer needs them (or never, if unsure).
   */
  take(): { chunks: Buffer[]; blocks: Buffer[] } {
    const chunks = this.full.map((b) => (this.readRoom > 0 ? b.subarray(0, BLOCK) : b));
    const blocks = [...this.full];
    this.full.length = 0;
    if (this.block && this.used > 0) {
      chunks.push(this.block.subarray(0, this.used));
      blocks.push(this.block);
      this.block = null;
      this.used = 0;
    }
    this.queued = 0;
    return { chunks, blocks };
  }

  recycle(blocks: Buffer[]): void {
    for (const b of blocks) if (this.spare.length < SPARES) this.spare.push(b);
  }

  /** Forgets what is queued (the connection is gone) and lets the blocks go. */
  clear(): void {
    this.take();
    this.release();
  }

  /** Lets unused blocks go to the shared idle list (an idle session keeps no output memory). */
  release(): void {
    if (this.used === 0 && this.block) this.spare.push(this.block);
    if (this.used === 0) this.block = null;
    const list = this.idleList();
    for (const b of this.spare) if (list.length < IDLE_MAX) list.push(b);
    this.spare.length = 0;
  }

  /**
   * `readRoom` octets to read the next chunk of a message into, behind the current block's output
   * area (appends never touch it). What is read there stays valid until the next `readSpace`.
   */
  readSpace(): Buffer {
    return this.current().subarray(BLOCK);
  }

  private current(): Buffer {
    this.block ??= this.spare.pop() ?? this.idleList().pop() ?? Buffer.allocUnsafeSlow(BLOCK + this.readRoom);
    return this.block;
  }

  private idleList(): Buffer[] {
    let list = idle.get(BLOCK + this.readRoom);
    if (!list) idle.set(BLOCK + this.readRoom, (list = []));
    return list;
  }

  private seal(): void {
    this.full.push(this.block!);
    this.block = null;
    this.used = 0;
  }
}
