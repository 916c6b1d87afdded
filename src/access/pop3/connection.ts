/**
 * One client connection: lines in, bytes out, and the STLS switch.
 *
 * Input is split into lines at LF (a CR before it is dropped), so pipelined commands (RFC 2449
 * PIPELINING) queue up here. Output is gathered and written in batches: replies to a pipelined
 * burst leave in as few packets as possible, and `flush` is awaited whenever the batch grows past
 * the socket's buffer, so a large RETR is paced by the client (backpressure), never held in memory.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

const FLUSH_AT = 64 * 1024;

export class LineTooLongError extends Error {}

export class Pop3Connection {
  private socket: Socket;
  private input: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiting: (() => void) | null = null;
  private ended = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;
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

  /** Commands already received and not yet read (pipelined), without removing them. */
  queuedLines(max: number): string[] {
    return this.lines.slice(0, max);
  }

  /** The next line, or null when the client went away. Flushes output before waiting for input. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        if (this.lines.length < 100 && this.socket.isPaused()) this.socket.resume();
        if (line === '\u0000overlong') throw new LineTooLongError();
        return line;
      }
      if (this.ended) return null;
      await this.flush();
      if (this.lines.length > 0 || this.ended) continue;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** Queues bytes for the client; flushes (and waits for the client) when the batch is large. */
  async send(data: Buffer | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  /** Queues many buffers at once (a chunk of an encoded message). */
  async sendAll(parts: Buffer[]): Promise<void> {
    for (const p of parts) {
      this.pending.push(p);
      this.pendingBytes += p.length;
    }
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0 || this.ended) {
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
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

/** "::ffff:127.0.0.1" → "127.0.0.1", so throttling and the loopback check see one form. */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
