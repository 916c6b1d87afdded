/**
 * Decoder for a POP3 multi-line response body (RFC 1939 section 3): lines that begin with "." are
 * byte-stuffed, and the body ends at a line holding a single ".". Works on any chunking of the
 * input, keeps every other byte as it came (8-bit, NUL, CR on its own), and has no line-length
 * limit, because it never holds more than one state value between chunks.
 *
 * Line ends: CRLF is the standard; a bare LF also ends a line, because broken servers send them
 * and a line that starts after a bare LF is still a line to the server that stuffed it. The bytes
 * are passed through unchanged (a bare LF stays a bare LF): the caller decides on normalisation.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

const enum State {
  /** At the first byte of a line. */
  LineStart,
  /** Saw "." as the first byte of a line; it is dropped whatever follows (stuffing or end). */
  Dot,
  /** Saw "." CR at the start of a line: the end if LF follows. */
  DotCr,
  /** Inside a line. */
  Mid,
}

/** The result of feeding one chunk. */
export interface DecodeResult {
  /** Decoded body bytes from this chunk, in order (slices of the input, not copies). */
  out: Buffer[];
  /**
   * Undefined while the body goes on; once the terminator was seen, the bytes of this chunk that
   * follow it (possibly empty): they belong to the next response.
   */
  rest: Buffer | undefined;
}

/**
 * Contract: feed chunks in order with `push`; after a result with `rest !== undefined` the decoder
 * is `done` and must not be fed again. The concatenation of all `out` is the unstuffed body
 * including the line end of its last line, excluding the terminator line.
 */
export class DotDecoder {
  private state: State = State.LineStart;
  done = false;

  push(chunk: Buffer): DecodeResult {
    if (this.done) throw new Error('DotDecoder: push after the end of the body');
    const out: Buffer[] = [];
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      switch (this.state) {
        case State.LineStart:
          if (chunk[pos] === DOT) {
            this.state = State.Dot;
            pos++;
          } else {
            this.state = State.Mid;
          }
          break;
        case State.Dot: {
          const b = chunk[pos];
          if (b === CR) {
            this.state = State.DotCr;
            pos++;
          } else if (b === LF) {
            return this.finish(out, chunk, pos + 1);
          } else {
            // "..x" or ".x": the first dot was stuffing; the line goes on from here.
            this.state = State.Mid;
          }
          break;
        }
        case State.DotCr:
          if (chunk[pos] === LF) return this.finish(out, chunk, pos + 1);
          // ".\r" followed by something else: the CR is content (the dot was stuffing).
          out.push(Buffer.from([CR]));
          this.state = State.Mid;
          break;
        case State.Mid: {
          const lf = chunk.indexOf(LF, pos);
          if (lf === -1) {
            out.push(chunk.subarray(pos));
            pos = n;
          } else {
            out.push(chunk.subarray(pos, lf + 1));
            pos = lf + 1;
            this.state = State.LineStart;
          }
          break;
        }
      }
    }
    return { out, rest: undefined };
  }

  private finish(out: Buffer[], chunk: Buffer, after: number): DecodeResult {
    this.done = true;
    return { out, rest: chunk.subarray(after) };
  }
}
