/**
 * One client connection: lines in, bytes out, and the STLS switch.
 *
 * Input is split into lines at LF (a CR before it is dropped), so pipelined commands (RFC 2449
 * PIPELINING) queue up here. Output is gathered and written in batches: replies to a pipelined
 * burst leave in as few packets as possible. A batch is written when it reaches FLUSH_AT, when the
 * session waits for input, and otherwise at the end of the current event-loop turn (setImmediate),
 * so replies never sit here while the session waits for a file. A batch that the socket cannot
 * take at once is awaited (backpressure): a large RETR is paced by the client, never held in memory.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { OutputBuffer } from './output.js';
import { FIRST_CHUNK } from './read-ahead.js';
import type { WireSink } from './wire.js';
import { normalizeAddress } from '../../auth/client-address.js';

const FLUSH_AT = 64 * 1024;
/**
 * Queued commands answered before this session lets the event loop run once. Message files come
 * from the page cache synchronously (files.ts), so without this a client pipelining hundreds of
 * RETRs would hold every other session until its socket buffer is full (megabytes on loopback).
 * Twice the RETR window of common pipelining clients: one extra turn per 32 messages costs nothing
 * measurable.
 */
const YIELD_EVERY = 32;

export class LineTooLongError extends Error {}

export class Pop3Connection {
  private socket: Socket;
  private input: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiting: (() => void) | null = null;
  private ended = false;
  /** With room to read a message chunk into each block (readSpace). */
  private readonly output = new OutputBuffer(FIRST_CHUNK);
  private flushScheduled = false;
  /** Lines handed out by readLine (or dropped by STLS) since the start: numbers queued lines. */
  private linesTaken = 0;
  private overlong = false;
  /** Commands handed out since this session last waited for input or yielded (YIELD_EVERY). */
  private answeredInARow = 0;
  private secure: boolean;
  readonly remoteAddress: string;

  constructor(
    socket: Socket,
    readonly tls: boolean,
    private readonly maxLine: number,
  ) {
    this.socket = socket;
    this.secure = tls;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.attach(socket);
  }

  /** True once the connection is encrypted (implicit TLS or after STLS). */
  get encrypted(): boolean {
    return this.secure;
  }

  get closed(): boolean {
    return this.ended;
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onEnd);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
    socket.off('error', this.onEnd);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let lf = this.input.indexOf(10);
    let start = 0;
    while (lf !== -1) {
      const end = lf > start && this.input[lf - 1] === 13 ? lf - 1 : lf;
      if (this.overlong) this.overlong = false;
      else this.lines.push(this.input.toString('latin1', start, end));
      start = lf + 1;
      lf = this.input.indexOf(10, start);
    }
    this.input = start === 0 ? this.input : this.input.subarray(start);
    if (this.input.length > this.maxLine) {
      // Drop the rest of an endless line and report it once it ends (or now, if nothing queued).
      this.input = Buffer.alloc(0);
      if (!this.overlong) this.lines.push('\u0000overlong');
      this.overlong = true;
    }
    // Backpressure on input: a client that pipelines thousands of commands waits for us.
    if (this.lines.length > 1000) this.socket.pause();
    this.wake();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  /** True when another command is already queued (the client is pipelining). */
  get hasQueuedLine(): boolean {
    return this.lines.length > 0;
  }

  /** Number (counted from the start of the connection) of the next line readLine returns. */
  get nextLineNumber(): number {
    return this.linesTaken;
  }

  /** Commands already received and not yet read (pipelined), from line number `from`, without removing them. */
  queuedLines(from: number, max: number): string[] {
    const skip = Math.max(0, from - this.linesTaken);
    return this.lines.slice(skip, skip + max);
  }

  /** The next line, or null when the client went away. Flushes output before waiting for input. */
  async readLine(): Promise<string | null> {
    for (;;) {
      if (this.lines.length > 0 && ++this.answeredInARow > YIELD_EVERY) {
        this.answeredInARow = 0;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const line = this.lines.shift();
      if (line !== undefined) {
        this.linesTaken++;
        if (this.lines.length < 100 && this.socket.isPaused()) this.socket.resume();
        if (line === '\u0000overlong') throw new LineTooLongError();
        return line;
      }
      if (this.ended) return null;
      await this.flush();
      if (this.lines.length > 0 || this.ended) continue;
      this.output.release();
      this.answeredInARow = 0;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** Queues bytes for the client; flushes (and waits for the client) when the batch is large. */
  async send(data: Buffer | string): Promise<void> {
    if (typeof data === 'string') this.output.appendText(data);
    else this.output.append(data, 0, data.length);
    await this.pace();
  }

  /** Where a message body is encoded to (copied into the output blocks); call `pace` after each chunk. */
  get sink(): WireSink {
    return this.output;
  }

  /** FIRST_CHUNK octets to read a message chunk into; copying from there to the output is cheapest (output.ts). */
  readSpace(): Buffer {
    return this.output.readSpace();
  }

  /** Writes the batch when it is large (waiting until the socket takes it), else soon. */
  async pace(): Promise<void> {
    if (this.output.size >= FLUSH_AT) return this.flush();
    if (this.flushScheduled || this.output.size === 0) return;
    this.flushScheduled = true;
    setImmediate(this.flushLater);
  }

  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    // Nobody waits for this one: a send that overfills the socket waits in its own flush.
    this.flush().catch(() => undefined);
  };

  async flush(): Promise<void> {
    if (this.ended) return this.output.clear();
    if (this.output.size === 0) return;
    const { chunks, blocks } = this.output.take();
    const socket = this.socket;
    if (chunks.length > 1) socket.cork();
    for (const c of chunks) socket.write(c);
    if (chunks.length > 1) socket.uncork();
    // Written synchronously (usual on loopback and a LAN with room in the socket buffer): the
    // blocks are free again, and waiting for 'drain' would only cost an event-loop turn.
    if (socket.writableLength === 0) return this.output.recycle(blocks);
    // Less than the socket's highWaterMark left over: no 'drain' will come; it goes out with the next batch.
    if (!socket.writableNeedDrain) return;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => () => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
    // After 'drain' every write has completed; after 'close' libuv may still hold them.
    if (drained) this.output.recycle(blocks);
  }

  /**
   * STLS: from here on, TLS. Anything the client sent after STLS in the clear is discarded, so a
   * man in the middle cannot inject commands that would run inside the encrypted session.
   */
  async startTls(context: SecureContext): Promise<void> {
    await this.flush();
    const plain = this.socket;
    this.detach(plain);
    this.input = Buffer.alloc(0);
    this.linesTaken += this.lines.length;
    this.lines = [];
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
    await new Promise<void>((resolve) => {
      secure.once('secure', resolve);
      secure.once('error', () => resolve());
      secure.once('close', () => resolve());
    });
  }

  /** Sends what is queued and closes the connection. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.ended = true;
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A client that never reads must not keep the session alive.
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 5000).unref();
    });
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
    this.wake();
  }
}

