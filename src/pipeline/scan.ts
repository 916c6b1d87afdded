/**
 * Watches a message go by, chunk by chunk, without ever holding it whole: keeps the header block
 * (up to a limit), hashes the body normalized for line endings, and counts the octets the message
 * will take on the wire once every bare LF is sent as CRLF.
 *
 * Anything is accepted: bare LF, bare CR, NUL bytes, 8-bit, no header/body separator at all.
 */
import { createHash } from 'node:crypto';
import { lineEnds } from './line-ends.js';

const LF = 10;
const CR = 13;
/** Header blocks larger than this are kept whole in the stored message but parsed only this far. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export class MessageScanner {
  private headerChunks: Buffer[] = [];
  private headerLength = 0;
  private inHeader = true;
  private header: Buffer | null = null;
  private body = new BodyHasher(false);
  private size = 0;
  /** Bare LFs before the body (the hasher counts the body's). */
  private bareLf = 0;

  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.size += chunk.length;
    if (!this.inHeader) {
      this.body.update(chunk);
      return;
    }
    this.headerChunks.push(chunk);
    const searchFrom = Math.max(0, this.headerLength - 3);
    this.headerLength += chunk.length;
    const all = this.headerChunks.length === 1 ? chunk : Buffer.concat(this.headerChunks);
    this.headerChunks = [all];
    const end = findHeaderEnd(all, searchFrom);
    if (end) {
      this.finishHeader(all, end.headerEnd, end.bodyStart);
    } else if (this.headerLength > MAX_HEADER_BYTES) {
      // No end of header in sight: parse what we have, hash the rest as body.
      this.finishHeader(all, MAX_HEADER_BYTES, MAX_HEADER_BYTES);
    }
  }

  /**
   * The header is `all[0, headerEnd)`; the body (hashed, and counted for bare LFs by the hasher)
   * starts at `bodyStart`. The bytes before it are counted here, once: the body, most of the
   * bytes, goes through the line-end engine once (by the hasher), not once more to count.
   */
  private finishHeader(all: Buffer, headerEnd: number, bodyStart: number): void {
    this.header = Buffer.from(all.subarray(0, headerEnd));
    this.headerChunks = [];
    this.inHeader = false;
    this.bareLf += countBareLf(all.subarray(0, bodyStart));
    this.body = new BodyHasher(bodyStart > 0 && all[bodyStart - 1] === CR);
    this.body.update(all.subarray(bodyStart));
  }

  /** Ends the scan. A message that never had a blank line is all header. */
  finish(): { header: Buffer; bodyHash: string; size: number; wireSize: number } {
    if (this.inHeader) {
      const all = Buffer.concat(this.headerChunks);
      const cut = Math.min(all.length, MAX_HEADER_BYTES);
      this.finishHeader(all, cut, cut);
    }
    return { header: this.header ?? Buffer.alloc(0), bodyHash: this.body.digest(), size: this.size, wireSize: this.size + this.bareLf + this.body.bareLf };
  }
}

/**
 * Finds the blank line that ends the header: LF LF or LF CR LF (also at the very start). The
 * header is `[0, headerEnd)`, its last line end included; the body starts at `bodyStart`.
 */
export function findHeaderEnd(buf: Buffer, from: number): { headerEnd: number; bodyStart: number } | null {
  if (from === 0) {
    if (buf[0] === LF) return { headerEnd: 0, bodyStart: 1 };
    if (buf[0] === CR && buf[1] === LF) return { headerEnd: 0, bodyStart: 2 };
  }
  let i = buf.indexOf(LF, from);
  while (i !== -1) {
    if (buf[i + 1] === LF) return { headerEnd: i + 1, bodyStart: i + 2 };
    if (buf[i + 1] === CR && buf[i + 2] === LF) return { headerEnd: i + 1, bodyStart: i + 3 };
    i = buf.indexOf(LF, i + 1);
  }
  return null;
}

/** LFs in `buf` not preceded by CR (an LF first counts: it starts the message). */
function countBareLf(buf: Buffer): number {
  if (buf.length === 0) return 0;
  // The body's rule (line-ends.ts), whose compacted copy is not needed here.
  const compactor = lineEnds();
  compactor.compact(buf, false, false);
  return compactor.lfs - compactor.crlfs;
}

/**
 * sha256 of the body with CRLF read as LF and trailing line breaks ignored, so the same body stored
 * by two ISPs with different line endings hashes the same.
 */
class BodyHasher {
  private readonly hash = createHash('sha256');
  private pendingCr = false;
  private pendingNewlines = 0;
  /** LFs not preceded by CR: each takes one more octet on the wire (sent as CRLF). */
  bareLf = 0;

  /** `afterCr`: the byte before the body was a CR (a header cut at MAX_HEADER_BYTES), so an LF first is not bare. */
  constructor(private afterCr: boolean) {}

  update(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    // A CR held back from the previous chunk is content unless this chunk starts with its LF.
    const leadingCr = this.pendingCr && chunk[0] !== LF;
    // An LF first after a CR (held back, or the header's last byte) ends a CRLF, not counted below.
    const lfAfterCr = chunk[0] === LF && this.afterCr;
    this.afterCr = chunk[n - 1] === CR;
    // A CR at the end of the chunk: the next chunk tells whether it is a line end.
    this.pendingCr = this.afterCr;
    const compactor = lineEnds();
    const normalized = compactor.compact(chunk, leadingCr, this.afterCr);
    this.bareLf += compactor.lfs - compactor.crlfs - (lfAfterCr ? 1 : 0);
    this.emit(normalized);
  }

  /** Feeds normalized bytes, holding back a run of trailing LFs until more content follows. */
  private emit(data: Buffer): void {
    if (data.length === 0) return;
    let end = data.length;
    while (end > 0 && data[end - 1] === LF) end--;
    if (end === 0) {
      this.pendingNewlines += data.length;
      return;
    }
    if (this.pendingNewlines > 0) {
      this.hash.update(Buffer.alloc(this.pendingNewlines, LF));
      this.pendingNewlines = 0;
    }
    this.hash.update(data.subarray(0, end));
    this.pendingNewlines = data.length - end;
  }

  digest(): string {
    if (this.pendingCr) this.hash.update(Buffer.from([CR]));
    return this.hash.digest('hex');
  }
}
