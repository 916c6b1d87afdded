/**
 * A stored message as a POP3 multi-line response body (RFC 1939 section 3), chunk by chunk:
 * every bare LF becomes CRLF, a line starting with "." gets one more ".", and the end is marked.
 *
 * How a message is terminated, and why LIST stays exact: a message ending in LF ends the body as is;
 * a message whose last byte is not LF (possible from collectors and `postroom deliver`, never from
 * SMTP) gets one CRLF so that the final "." stands on its own line. That CRLF is part of what the
 * client receives, so LIST/STAT announce `wireSize + 2` for such messages (see `servedSize`).
 * An empty message sends nothing before the ".". Stuffing dots is not counted (RFC 1939 LIST).
 */
const LF = 10;
const CR = 13;
const DOT = 46;
const CRLF = Buffer.from('\r\n');
const EXTRA_DOT = Buffer.from('.');
export const END_OF_MULTILINE = Buffer.from('.\r\n');

/** Octets the client receives for a message (before dot-stuffing), as LIST and STAT announce. */
export function servedSize(wireSize: number, storedSize: number, endsWithLf: boolean): number {
  return storedSize > 0 && !endsWithLf ? wireSize + 2 : wireSize;
}

/** Where encoded bytes go: `src[start, end)` is copied (or kept) before `append` returns. */
export interface WireSink {
  append(src: Buffer, start: number, end: number): void;
}

export class WireEncoder {
  private atLineStart = true;
  private lastWasCr = false;

  /**
   * Appends the wire form of `chunk` to `out`. Runs of bytes that need no change go as one
   * `append` (a CRLF message without dot lines is a single one), found with indexOf, not per byte.
   */
  encode(chunk: Buffer, out: WireSink): void {
    const len = chunk.length;
    if (len === 0) return;
    let start = 0;
    let i = 0;
    while (i < len) {
      if (this.atLineStart && chunk[i] === DOT) {
        if (i > start) out.append(chunk, start, i);
        out.append(EXTRA_DOT, 0, 1);
        start = i;
      }
      const lf = chunk.indexOf(LF, i);
      if (lf === -1) {
        this.atLineStart = false;
        break;
      }
      const before = lf > 0 ? chunk[lf - 1] : this.lastWasCr ? CR : -1;
      if (before !== CR) {
        if (lf > start) out.append(chunk, start, lf);
        out.append(CRLF, 0, 2);
        start = lf + 1;
      }
      i = lf + 1;
      this.atLineStart = true;
    }
    if (start < len) out.append(chunk, start, len);
    this.lastWasCr = chunk[len - 1] === CR;
  }

  /** Ends the body: the CRLF a last line without LF needs, then ".CRLF". */
  finish(out: WireSink): void {
    if (!this.atLineStart) out.append(CRLF, 0, 2);
    out.append(END_OF_MULTILINE, 0, 3);
  }
}

/**
 * TOP (RFC 1939 section 7): the header, the blank line, then at most `lines` lines of the body.
 * Works on the stored bytes, before encoding; lines end at LF whether or not a CR precedes it.
 * A message without a blank line is all header and is sent whole.
 */
export class TopLimiter {
  private inHeader = true;
  private bodyLinesLeft: number;
  private lineBytes = 0;
  private lineLastCr = false;
  private done = false;

  constructor(lines: number) {
    this.bodyLinesLeft = lines;
  }

  get finished(): boolean {
    return this.done;
  }

  /** The part of `chunk` to send; once `finished`, nothing more. */
  take(chunk: Buffer): Buffer {
    if (this.done) return chunk.subarray(0, 0);
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        this.lineBytes += chunk.length - pos;
        this.lineLastCr = chunk[chunk.length - 1] === CR;
        return chunk;
      }
      const bytes = this.lineBytes + (lf - pos);
      const lastCr = lf > pos ? chunk[lf - 1] === CR : this.lineLastCr;
      this.lineBytes = 0;
      this.lineLastCr = false;
      pos = lf + 1;
      if (this.inHeader) {
        if (bytes === 0 || (bytes === 1 && lastCr)) {
          this.inHeader = false;
          if (this.bodyLinesLeft === 0) return this.stop(chunk, pos);
        }
      } else if (--this.bodyLinesLeft === 0) {
        return this.stop(chunk, pos);
      }
    }
    return chunk;
  }

  private stop(chunk: Buffer, end: number): Buffer {
    this.done = true;
    return chunk.subarray(0, end);
  }
}
