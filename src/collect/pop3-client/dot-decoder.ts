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
const LF_DOT = Buffer.from('\n.');
/** See nextLfDot. */
const DOTS_BEFORE_TWO_BYTE_SEARCH = 8;

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
  /** Decoded body bytes from this chunk, in order (slices of the input, not copies; one slice per run of lines without a stuffing dot). */
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
    // Bytes from segStart to pos are body not yet handed out: consecutive lines go out as one
    // slice, cut only where a stuffing dot is dropped (one slice per line cost a lot per message).
    let segStart = 0;
    if (this.state === State.DotCr) {
      // ".\r" ended the previous chunk; its CR was held back in case this is the terminator.
      if (n > 0 && chunk[0] === LF) return this.finish(out, chunk, 1);
      if (n > 0) {
        out.push(Buffer.from([CR]));
        this.state = State.Mid;
      }
    }
    while (pos < n) {
      switch (this.state) {
        case State.LineStart:
          if (chunk[pos] === DOT) {
            if (pos > segStart) out.push(chunk.subarray(segStart, pos));
            this.state = State.Dot;
            pos++;
            segStart = pos;
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
          // ".\r" followed by something else: the CR is content (it is already in the segment).
          this.state = State.Mid;
          break;
        case State.Mid: {
          // Only a line that starts with "." needs a look: jump to the next LF followed by a dot.
          // One search per chunk instead of one per line (the per-line search was the decoder's cost).
          const lfDot = nextLfDot(chunk, pos);
          if (lfDot === -1) {
            // No such line here; an LF last means the next chunk starts a line.
            if (chunk[n - 1] === LF) this.state = State.LineStart;
            pos = n;
          } else {
            pos = lfDot + 1;
            this.state = State.LineStart;
          }
          break;
        }
      }
    }
    // In DotCr the chunk's last byte is that CR: hold it back until the next chunk tells.
    const end = this.state === State.DotCr ? n - 1 : n;
    if (end > segStart) out.push(chunk.subarray(segStart, end));
    return { out, rest: undefined };
  }

  private finish(out: Buffer[], chunk: Buffer, after: number): DecodeResult {
    this.done = true;
    return { out, rest: chunk.subarray(after) };
  }
}

/**
 * The index of the next LF at or after `from` that a "." follows, or -1. Looks for a dot and then
 * behind it, not for "\n." (a two-byte search stops at every LF, one per 78 bytes of base64):
 * base64, which most large mail is, has no dots at all, so a chunk of it is one memchr. Text with
 * many dots would make that a call per dot: after a few dots not at a line start, the two-byte
 * search takes over (`node --import tsx bench/micro/dot-decoder.ts` measures both kinds).
 */
function nextLfDot(chunk: Buffer, from: number): number {
  let dot = chunk.indexOf(DOT, from + 1);
  for (let looked = 0; dot !== -1 && looked < DOTS_BEFORE_TWO_BYTE_SEARCH; looked++) {
    if (chunk[dot - 1] === LF) return dot - 1;
    dot = chunk.indexOf(DOT, dot + 1);
  }
  // No LF-dot before this dot (each one before it was looked at): the LF may be just before it.
  return dot === -1 ? -1 : chunk.indexOf(LF_DOT, dot - 1);
}
