/**
 * One IMAP client connection: frames commands (a line, and for every line that ends in a literal
 * marker `{n}` / `{n+}`, the n octets that follow and the next line), answers synchronizing literals
 * with a continuation request, enforces the size limits, and writes responses with backpressure.
 *
 * Literals the session wants streamed (APPEND's message) go chunk by chunk to a sink and are not
 * kept in memory; everything else of a command is, up to `maxCommand` octets.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { normalizeAddress } from '../../auth/client-address.js';
import { OutputBuffer } from '../pop3/output.js';
import type { WireSink } from '../pop3/wire.js';

const FLUSH_AT = 64 * 1024;
const LF = 0x0a;

/** Where a literal's octets go: kept in the command, streamed to a sink, or refused. */
export type LiteralDecision =
  | { kind: 'keep' }
  | { kind: 'stream'; sink: LiteralSink }
  | { kind: 'refuse'; response: string };

/** Receives a streamed literal's octets in order; `end` is called once all arrived. */
export interface LiteralSink {
  write(chunk: Buffer): Promise<void>;
  /** Called after the last octet; what `parseCommand` will see in place of the literal. */
  end(): void;
  /** The command was abandoned (connection closed mid-literal). */
  abort(): Promise<void>;
}

export interface FramingHooks {
  /** Decides about a literal given the command so far (up to and with its `{n}` marker). */
  literal(prefix: Buffer, size: number, synchronizing: boolean): Promise<LiteralDecision>;
}

export type Framed =
  | { kind: 'command'; buf: Buffer; streamedAt: number[] }
  /** The command was answered already (a refused literal); nothing to run. */
  | { kind: 'refused' }
  /** The client broke framing in a way we cannot recover from (endless line, oversized non-sync literal). */
  | { kind: 'fatal'; tag: string | null; text: string }
  | { kind: 'closed' };

export class ImapConnection {
  private socket: Socket;
  private input: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private ended = false;
  /** Responses waiting to be written, copied into reused blocks (pop3/output.ts). */
  private readonly output = new OutputBuffer();
  private secure: boolean;
  readonly remoteAddress: string;

  constructor(
    socket: Socket,
    implicitTls: boolean,
    private readonly maxCommand: number,
  ) {
    this.socket = socket;
    this.secure = implicitTls;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.attach(socket);
  }

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
    // Input backpressure: a client that sends faster than we parse waits for us.
    if (this.input.length > this.maxCommand + FLUSH_AT) this.socket.pause();
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

  /** Resolves when more input arrives or the connection ends (after flushing our output). */
  async dataAvailable(): Promise<void> {
    if (this.ended) return;
    await this.flush();
    if (this.ended) return;
    this.output.release();
    await new Promise<void>((resolve) => (this.waiting = resolve));
  }

  private take(n: number): Buffer {
    const out = this.input.subarray(0, n);
    this.input = this.input.subarray(n);
    if (this.socket.isPaused() && this.input.length < this.maxCommand) this.socket.resume();
    return out;
  }

  /** A complete line already received (without CRLF), or null; does not wait. */
  takeLine(): Buffer | null {
    const lf = this.input.indexOf(LF);
    if (lf === -1) return null;
    const line = this.take(lf + 1);
    return line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 0x0d ? 2 : 1));
  }

  /** One line (for AUTHENTICATE responses and IDLE's DONE), or null when the client went away. */
  async readLine(): Promise<Buffer | null> {
    for (;;) {
      const line = this.takeLine();
      if (line) return line;
      if (this.ended) return null;
      if (this.input.length > this.maxCommand) return null;
      await this.dataAvailable();
    }
  }

  /** Reads one whole command, literals included. */
  async readCommand(hooks: FramingHooks): Promise<Framed> {
    const parts: Buffer[] = [];
    let length = 0;
    const streamedAt: number[] = [];
    for (;;) {
      const line = await this.readRawLine(this.maxCommand - length);
      if (line === 'closed') return { kind: 'closed' };
      if (line === 'overlong') return { kind: 'fatal', tag: tagOf(parts[0] ?? this.input), text: 'Command line too long' };
      const marker = literalMarker(line);
      parts.push(line);
      length += line.length;
      if (!marker) {
        const all = Buffer.concat(parts, length);
        return { kind: 'command', buf: stripCrlf(all), streamedAt };
      }
      const prefix = stripCrlf(Buffer.concat(parts, length));
      const decision = await hooks.literal(prefix, marker.size, !marker.nonSync);
      if (decision.kind === 'refuse') {
        // A client waiting for "+" sends nothing more; one that did not wait left octets we cannot
        // tell from commands, so that connection must end (RFC 7888 section 4).
        await this.send(decision.response);
        if (marker.nonSync) return { kind: 'fatal', tag: null, text: 'Literal too large' };
        return { kind: 'refused' };
      }
      if (!marker.nonSync) await this.send('+ Ready for literal data\r\n');
      if (decision.kind === 'stream') {
        streamedAt.push(prefix.length - marker.text.length);
        const ok = await this.pump(marker.size, decision.sink);
        if (!ok) return { kind: 'closed' };
      } else {
        if (length + marker.size > this.maxCommand) return { kind: 'fatal', tag: tagOf(parts[0]!), text: 'Command too long' };
        const data = await this.readExact(marker.size);
        if (!data) return { kind: 'closed' };
        parts.push(data);
        length += data.length;
      }
    }
  }

  /** A line with its CRLF, 'overlong' past `max` octets, 'closed' at end of input. */
  private async readRawLine(max: number): Promise<Buffer | 'overlong' | 'closed'> {
    for (;;) {
      const lf = this.input.indexOf(LF);
      if (lf !== -1 && lf < max) return this.take(lf + 1);
      if (lf !== -1 || this.input.length > max) return 'overlong';
      if (this.ended) return 'closed';
      await this.dataAvailable();
    }
  }

  private async readExact(n: number): Promise<Buffer | null> {
    while (this.input.length < n) {
      if (this.ended) return null;
      await this.dataAvailable();
    }
    return Buffer.from(this.take(n));
  }

  /** Moves `n` octets to the sink as they arrive. */
  private async pump(n: number, sink: LiteralSink): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.input.length === 0) {
        if (this.ended) {
          await sink.abort();
          return false;
        }
        await this.dataAvailable();
        continue;
      }
      const chunk = Buffer.from(this.take(Math.min(left, this.input.length)));
      left -= chunk.length;
      await sink.write(chunk);
    }
    sink.end();
    return true;
  }

  /** Queues bytes for the client; flushes (waiting for the client to read) when the batch is large. */
  async send(data: Buffer | string): Promise<void> {
    if (typeof data === 'string') this.output.appendText(data, 'utf8');
    else this.output.append(data, 0, data.length);
    if (this.output.size >= FLUSH_AT) await this.flush();
  }

  /**
   * Where response bytes may be appended directly (copied before `append` returns), e.g. a body
   * CRLF-encoded in place; call `sent()` after, which flushes when the batch is large.
   */
  get sink(): WireSink {
    return this.output;
  }

  async sent(): Promise<void> {
    if (this.output.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.ended) return this.output.clear();
    if (this.output.size === 0) return;
    const { chunks, blocks } = this.output.take();
    const socket = this.socket;
    if (chunks.length > 1) socket.cork();
    let room = true;
    for (const c of chunks) room = socket.write(c);
    if (chunks.length > 1) socket.uncork();
    // Written synchronously (usual on loopback): the blocks are free again.
    if (socket.writableLength === 0) return this.output.recycle(blocks);
    if (room) return;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => () => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
    if (drained && socket.writableLength === 0) this.output.recycle(blocks);
  }

  /**
   * STARTTLS: from here on, TLS. Anything the client pipelined after STARTTLS in the clear is
   * discarded (RFC 3501 6.2.1 and the STARTTLS command-injection class of bugs).
   */
  async startTls(context: SecureContext): Promise<boolean> {
    await this.flush();
    const plain = this.socket;
    this.detach(plain);
    this.input = Buffer.alloc(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
    return new Promise<boolean>((resolve) => {
      secure.once('secure', () => resolve(true));
      secure.once('error', () => resolve(false));
      secure.once('close', () => resolve(false));
    });
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.ended = true;
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000).unref();
    });
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
    this.wake();
  }
}

/** `{n}` or `{n+}` at the end of a line (before CRLF), as RFC 3501 literal / RFC 7888 literal+. */
export function literalMarker(line: Buffer): { size: number; nonSync: boolean; text: string } | null {
  const text = stripCrlf(line).toString('latin1');
  const m = /\{(\d{1,10})(\+?)\}$/.exec(text);
  if (!m) return null;
  return { size: Number(m[1]), nonSync: m[2] === '+', text: m[0] };
}

function stripCrlf(b: Buffer): Buffer {
  let end = b.length;
  if (end > 0 && b[end - 1] === LF) end--;
  if (end > 0 && b[end - 1] === 0x0d) end--;
  return b.subarray(0, end);
}

/** The tag of a (partial) command line, for a BAD to an unparseable one. */
export function tagOf(line: Buffer): string | null {
  const m = /^([\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c\x7e]+) /.exec(line.toString('latin1', 0, 80));
  return m ? m[1]! : null;
}

