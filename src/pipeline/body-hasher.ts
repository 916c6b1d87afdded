/**
 * The body's hash and its count of bare LFs, computed chunk by chunk (see BodyHasher). Used by the
 * scanner on the event loop and by the hashing worker (body-hash-worker.ts) for large messages.
 */
import { createHash } from 'node:crypto';

export const LF = 10;
export const CR = 13;

/** Normalized bytes of the chunk being hashed, shared by every BodyHasher: `update` uses it synchronously. */
let scratch = Buffer.alloc(0);

/**
 * sha256 of the body with CRLF read as LF and trailing line breaks ignored, so the same body stored
 * by two ISPs with different line endings hashes the same.
 */
export class BodyHasher {
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
    if (scratch.length < n + 1) scratch = Buffer.allocUnsafeSlow(Math.max(n + 1, 64 * 1024));
    const out = scratch;
    let base = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) out[base++] = CR;
    }
    // The chunk is copied once, then the gap left by each CRLF's CR is closed in place
    // (copyWithin): no Buffer object per line, which cost more than the hashing itself. One
    // search per line (for its LF) serves both the normalization and the count of bare LFs.
    out.set(chunk, base);
    let w = base; // end of the normalized bytes
    let seg = base; // start of the bytes not yet moved down to w
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      if (lf === 0) {
        // After a CR that ended the previous chunk (held back above, or before the body): a CRLF.
        if (!this.afterCr) this.bareLf++;
      } else if (chunk[lf - 1] !== CR) {
        this.bareLf++;
      } else {
        // CRLF: drop the CR. A CR not followed by LF is content.
        const cr = base + lf - 1;
        out.copyWithin(w, seg, cr);
        w += cr - seg;
        seg = cr + 1;
      }
    }
    let end = base + n;
    this.afterCr = chunk[n - 1] === CR;
    if (this.afterCr) {
      // A CR at the end of the chunk: the next chunk tells whether it is a line end.
      end--;
      this.pendingCr = true;
    }
    if (seg < end) {
      out.copyWithin(w, seg, end);
      w += end - seg;
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

  result(): { digest: string; bareLf: number } {
    return { digest: this.digest(), bareLf: this.bareLf };
  }
}
