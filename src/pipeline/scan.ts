/**
 * Watches a message go by, chunk by chunk, without ever holding it whole: keeps the header block
 * (up to a limit), hashes the body normalized for line endings, and counts the octets the message
 * will take on the wire once every bare LF is sent as CRLF.
 *
 * Anything is accepted: bare LF, bare CR, NUL bytes, 8-bit, no header/body separator at all.
 */
import { BodyHasher, CR, LF } from './body-hasher.js';
import { openRemoteBodyHash, type BodyDigest, type RemoteBodyHash } from './body-hash-offload.js';
/** Header blocks larger than this are kept whole in the stored message but parsed only this far. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface ScanResult {
  header: Buffer;
  bodyHash: string;
  size: number;
  wireSize: number;
}

export interface ScanOptions {
  /**
   * Hash the body on the worker thread (body-hash-offload.ts): for a message the source said is
   * large. `update` may then return a promise, and the result comes from `finishAsync`.
   */
  offload?: boolean;
}

export class MessageScanner {
  private headerChunks: Buffer[] = [];
  private headerLength = 0;
  private inHeader = true;
  private header: Buffer | null = null;
  /** The body's hasher, once the header has ended: here, or on the worker. */
  private local: BodyHasher | null = null;
  private remote: RemoteBodyHash | null = null;
  private size = 0;
  /** Bare LFs before the body (the hasher counts the body's). */
  private bareLf = 0;

  constructor(private readonly options: ScanOptions = {}) {}

  /** A promise only when the body goes to the worker and its ring is full: await it before more. */
  update(chunk: Buffer): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    this.size += chunk.length;
    if (!this.inHeader) return this.hashBody(chunk);
    this.headerChunks.push(chunk);
    const searchFrom = Math.max(0, this.headerLength - 3);
    this.headerLength += chunk.length;
    const all = this.headerChunks.length === 1 ? chunk : Buffer.concat(this.headerChunks);
    this.headerChunks = [all];
    const end = findHeaderEnd(all, searchFrom);
    if (end) return this.finishHeader(all, end.headerEnd, end.bodyStart);
    // No end of header in sight: parse what we have, hash the rest as body.
    if (this.headerLength > MAX_HEADER_BYTES) return this.finishHeader(all, MAX_HEADER_BYTES, MAX_HEADER_BYTES);
    return undefined;
  }

  private hashBody(chunk: Buffer): Promise<void> | undefined {
    if (this.remote) return this.remote.update(chunk);
    this.local!.update(chunk);
    return undefined;
  }

  /**
   * The header is `all[0, headerEnd)`; the body (hashed, and counted for bare LFs by the hasher)
   * starts at `bodyStart`. The bytes before it are counted here, once: the body, most of the
   * bytes, is looked at only once per line (by the hasher), not once more to count.
   */
  private finishHeader(all: Buffer, headerEnd: number, bodyStart: number): Promise<void> | undefined {
    this.header = Buffer.from(all.subarray(0, headerEnd));
    this.headerChunks = [];
    this.inHeader = false;
    this.bareLf += countBareLf(all.subarray(0, bodyStart));
    const afterCr = bodyStart > 0 && all[bodyStart - 1] === CR;
    this.remote = this.options.offload ? openRemoteBodyHash(afterCr) : null;
    if (!this.remote) this.local = new BodyHasher(afterCr);
    return bodyStart < all.length ? this.hashBody(all.subarray(bodyStart)) : undefined;
  }

  /** A message that never had a blank line is all header. */
  private endHeader(): void {
    if (!this.inHeader) return;
    const all = Buffer.concat(this.headerChunks);
    const cut = Math.min(all.length, MAX_HEADER_BYTES);
    // At most the bytes past MAX_HEADER_BYTES, already bounded: a promise here needs no wait.
    void this.finishHeader(all, cut, cut)?.catch(() => undefined);
  }

  private result(body: BodyDigest): ScanResult {
    return { header: this.header ?? Buffer.alloc(0), bodyHash: body.digest, size: this.size, wireSize: this.size + this.bareLf + body.bareLf };
  }

  /** Ends a scan that hashes on the event loop (no `offload`). */
  finish(): ScanResult {
    if (this.options.offload) throw new Error('MessageScanner.finish: an offloaded scan ends with finishAsync');
    this.endHeader();
    return this.result(this.local!.result());
  }

  /** Ends any scan; rejects if the worker failed (the message is then not stored). */
  async finishAsync(): Promise<ScanResult> {
    this.endHeader();
    return this.result(this.remote ? await this.remote.result() : this.local!.result());
  }

  /** Abandons the scan (the message failed): frees its stream on the worker. */
  discard(): void {
    this.remote?.drop();
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

/** LFs in `buf` not preceded by CR (its first byte counts as one after a line start). */
function countBareLf(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) if (i === 0 || buf[i - 1] !== CR) n++;
  return n;
}
