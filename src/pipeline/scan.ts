/**
 * Watches a message go by, chunk by chunk, without ever holding it whole: keeps the header block
 * (up to a limit), hashes the body normalized for line endings, and counts the octets the message
 * will take on the wire once every bare LF is sent as CRLF.
 *
 * Anything is accepted: bare LF, bare CR, NUL bytes, 8-bit, no header/body separator at all.
 */
import { createHash } from 'node:crypto';

const LF = 10;
const CR = 13;
/** Header blocks larger than this are kept whole in the stored message but parsed only this far. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export class MessageScanner {
  private headerChunks: Buffer[] = [];
  private headerLength = 0;
  private inHeader = true;
  private header: Buffer | null = null;
  private readonly body = new BodyHasher();
  private size = 0;
  private bareLf = 0;
  private lastByte = -1;

  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.countWire(chunk);
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
      this.finishHeader(all.subarray(0, end.headerEnd), all.subarray(end.bodyStart));
    } else if (this.headerLength > MAX_HEADER_BYTES) {
      // No end of header in sight: parse what we have, hash the rest as body.
      this.finishHeader(all.subarray(0, MAX_HEADER_BYTES), all.subarray(MAX_HEADER_BYTES));
    }
  }

  private finishHeader(header: Buffer, rest: Buffer): void {
    this.header = Buffer.from(header);
    this.headerChunks = [];
    this.inHeader = false;
    this.body.update(rest);
  }

  private countWire(chunk: Buffer): void {
    let i = chunk.indexOf(LF);
    while (i !== -1) {
      const prev = i === 0 ? this.lastByte : chunk[i - 1];
      if (prev !== CR) this.bareLf++;
      i = chunk.indexOf(LF, i + 1);
    }
    this.lastByte = chunk[chunk.length - 1]!;
  }

  /** Ends the scan. A message that never had a blank line is all header. */
  finish(): { header: Buffer; bodyHash: string; size: number; wireSize: number } {
    if (this.inHeader) {
      const all = Buffer.concat(this.headerChunks);
      this.header = all.subarray(0, MAX_HEADER_BYTES);
      this.body.update(all.subarray(MAX_HEADER_BYTES));
      this.inHeader = false;
    }
    return { header: this.header ?? Buffer.alloc(0), bodyHash: this.body.digest(), size: this.size, wireSize: this.size + this.bareLf };
  }
}

/** Finds the blank line that ends the header: LF LF or LF CR LF (also at the very start). */
function findHeaderEnd(buf: Buffer, from: number): { headerEnd: number; bodyStart: number } | null {
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

/** Normalized bytes of the chunk being hashed, shared by every BodyHasher: `update` uses it synchronously. */
let scratch = Buffer.alloc(0);

/**
 * sha256 of the body with CRLF read as LF and trailing line breaks ignored, so the same body stored
 * by two ISPs with different line endings hashes the same.
 */
class BodyHasher {
  private readonly hash = createHash('sha256');
  private pendingCr = false;
  private pendingNewlines = 0;

  update(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (scratch.length < n + 1) scratch = Buffer.allocUnsafeSlow(Math.max(n + 1, 64 * 1024));
    const out = scratch;
    let base = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) out[base++] = CR;
    }
    // The chunk is copied once, then the gap left by each CRLF's CR is closed in place
    // (copyWithin): no Buffer object per line, which cost more than the hashing itself.
    out.set(chunk, base);
    let w = base; // end of the normalized bytes
    let seg = base; // start of the bytes not yet moved down to w
    let pos = 0;
    for (let cr = chunk.indexOf(CR); cr !== -1; cr = chunk.indexOf(CR, pos)) {
      if (cr === n - 1) {
        // A CR at the end of the chunk: the next chunk tells whether it is a line end.
        out.copyWithin(w, seg, base + cr);
        w += base + cr - seg;
        seg = base + n;
        this.pendingCr = true;
        break;
      }
      // CRLF: drop the CR. A CR not followed by LF is content.
      if (chunk[cr + 1] === LF) {
        out.copyWithin(w, seg, base + cr);
        w += base + cr - seg;
        seg = base + cr + 1;
      }
      pos = cr + 1;
    }
    if (seg < base + n) {
      out.copyWithin(w, seg, base + n);
      w += base + n - seg;
    }
    this.emit(out.subarray(0, w));
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
