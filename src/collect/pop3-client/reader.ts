/**
 * Reads POP3 responses from a byte stream (a socket, or any Readable in tests) without ever
 * assuming where the chunks are cut. The source is used in paused mode and read only when a
 * response is being waited for or a body is being consumed, so a slow consumer of a message body
 * holds the server back through TCP flow control instead of filling memory.
 */
import { Readable } from 'node:stream';
import { DotDecoder } from './dot-decoder.js';

/** Errors the reader raises, made by the owner so they can name the server and the command. */
export interface ReaderFaults {
  /** No byte arrived for `timeoutMs` while waiting for `what`. */
  timeout(what: string): Error;
  /** The stream ended (or failed with `cause`) while waiting for `what`. */
  closed(what: string, cause?: unknown): Error;
  /** The server sent something that cannot be a response to `what`. */
  malformed(what: string, detail: string): Error;
}

/** Status lines are short by RFC 1939 (512 octets); far more than that is a broken server. */
const MAX_STATUS_LINE = 64 * 1024;
/** Listings (CAPA, LIST, UIDL) are kept in memory; a mailbox of a million messages fits. */
const MAX_LISTING = 64 * 1024 * 1024;

/**
 * Contract: one reader per connection; callers read responses strictly one after another (the
 * client's command queue guarantees it). Once a timeout or a stream error happened the reader
 * is failed for good, and every later read throws that same error.
 */
export class ResponseReader {
  private pending: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private cause: unknown;
  private wake: (() => void) | undefined;
  private source!: Readable;
  private readonly listeners = {
    readable: () => this.wake?.(),
    end: () => {
      this.ended = true;
      this.wake?.();
    },
    close: () => {
      this.ended = true;
      this.wake?.();
    },
    error: (e: unknown) => {
      this.cause ??= e;
      this.ended = true;
      this.wake?.();
    },
  };

  constructor(
    source: Readable,
    private readonly timeoutMs: number,
    private readonly faults: ReaderFaults,
  ) {
    this.attach(source);
  }

  /**
   * Lets go of the source before a TLS upgrade (after "+OK" to STLS). Bytes already received and
   * not consumed would be plaintext injected before the handshake (the STARTTLS injection
   * attack), so they are an error here. Call `attachSource` with the TLS socket afterwards.
   */
  release(what: string): void {
    const leftover = this.pending.reduce((n, b) => n + b.length, 0) + this.source.readableLength;
    if (leftover > 0) throw this.failWith(this.faults.malformed(what, `${leftover} unexpected bytes after the STLS answer`));
    this.detach();
  }

  /** Reads from a new source from now on (the TLS socket after STLS). */
  attachSource(source: Readable): void {
    this.ended = false;
    this.attach(source);
  }

  /** Marks the reader failed (the owner aborted the session); later reads throw `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** Puts back bytes that were read but belong to the next response. */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.pending.unshift(bytes);
  }

  /** Stops listening to the source (the connection is over). */
  detach(): void {
    for (const [event, fn] of Object.entries(this.listeners)) this.source.off(event, fn);
    // A late socket error must not become an uncaught exception.
    this.source.on('error', () => {});
  }

  /** The next chunk of bytes, or null at the end of the stream. Waits at most `timeoutMs`. */
  async nextChunk(what: string): Promise<Buffer | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      const p = this.pending.shift();
      if (p) return p;
      const c: unknown = this.source.read();
      if (c !== null) return Buffer.isBuffer(c) ? c : Buffer.from(String(c), 'latin1');
      if (this.ended) {
        if (this.cause !== undefined) throw this.faults.closed(what, this.cause);
        return null;
      }
      await this.waitForData(what);
    }
  }

  /** One status line, without its line end (CRLF or a bare LF). */
  async readLine(what: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = await this.nextChunk(what);
      if (chunk === null) throw this.faults.closed(what);
      const lf = chunk.indexOf(0x0a);
      if (lf === -1) {
        parts.push(chunk);
        length += chunk.length;
        if (length > MAX_STATUS_LINE) throw this.failWith(this.faults.malformed(what, `status line longer than ${MAX_STATUS_LINE} bytes`));
        continue;
      }
      parts.push(chunk.subarray(0, lf));
      this.unshift(chunk.subarray(lf + 1));
      const line = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
    }
  }

  /** A whole multi-line body in memory, split into lines without line ends (for CAPA, LIST, UIDL). */
  async readListing(what: string): Promise<string[]> {
    const decoder = new DotDecoder();
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = await this.nextChunk(what);
      if (chunk === null) throw this.faults.closed(what);
      const { out, rest } = decoder.push(chunk);
      for (const b of out) {
        parts.push(b);
        length += b.length;
      }
      if (length > MAX_LISTING) throw this.failWith(this.faults.malformed(what, `listing longer than ${MAX_LISTING} bytes`));
      if (rest !== undefined) {
        this.unshift(rest);
        const text = Buffer.concat(parts).toString('latin1');
        if (text === '') return [];
        return text.replace(/\r?\n$/, '').split(/\r?\n/);
      }
    }
  }

  /**
   * A multi-line body as a stream. `onEnd` runs once the terminator was read (the reader is then
   * positioned at the next response); `onAbort` runs if the stream fails or is destroyed first.
   */
  readBody(what: string, hooks: { onEnd(): void; onAbort(error: Error): void }): BodyStream {
    return new BodyStream(this, what, hooks);
  }

  /** The error for a stream that ended while waiting for `what`. */
  closedError(what: string): Error {
    return this.faults.closed(what, this.cause);
  }

  private failWith(error: Error): Error {
    this.failure ??= error;
    return error;
  }

  private waitForData(what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(this.failWith(this.faults.timeout(what)));
      }, this.timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private attach(source: Readable): void {
    this.source = source;
    for (const [event, fn] of Object.entries(this.listeners)) source.on(event, fn);
    if (source.readableEnded) this.ended = true;
  }
}

/**
 * A message body being received. Reading it pulls bytes from the connection on demand (the
 * backpressure path); it ends exactly at the terminator, and fails with the reader's error if the
 * connection drops first, so a truncated message can never look complete.
 */
export class BodyStream extends Readable {
  private readonly decoder = new DotDecoder();
  private pulling = false;
  private wanted = false;
  private finished = false;
  /** Body bytes delivered so far (after unstuffing). */
  bytes = 0;

  constructor(
    private readonly reader: ResponseReader,
    private readonly what: string,
    private readonly hooks: { onEnd(): void; onAbort(error: Error): void },
  ) {
    super();
  }

  /** True once the terminator was read: every byte of the body has been pushed. */
  get complete(): boolean {
    return this.finished;
  }

  override _read(): void {
    this.wanted = true;
    if (!this.pulling) void this.pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.finished) {
      this.finished = true;
      this.hooks.onAbort(error ?? new Error(`${this.what}: the body stream was closed before the end of the message`));
    }
    callback(error);
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      while (this.wanted && !this.finished && !this.destroyed) {
        this.wanted = false;
        const chunk = await this.reader.nextChunk(this.what);
        if (this.destroyed) return;
        if (chunk === null) throw this.reader.closedError(`${this.what} (after ${this.bytes} bytes of the message, before its end)`);
        const { out, rest } = this.decoder.push(chunk);
        let more = true;
        for (const b of out) {
          this.bytes += b.length;
          more = this.push(b);
        }
        if (rest !== undefined) {
          this.reader.unshift(rest);
          this.finished = true;
          this.hooks.onEnd();
          this.push(null);
          return;
        }
        // Nothing pushed means Readable will not ask again: keep pulling ourselves.
        if (out.length === 0 || more) this.wanted = true;
      }
    } catch (e) {
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.pulling = false;
    }
  }
}
