/**
 * POP3 test harness: a data directory with bob and jane, a POP3 listener (plain + implicit TLS) on
 * 127.0.0.1 with free ports, a way to deliver mail, and a raw line client that keeps bytes exact.
 */
import net, { type Socket } from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { createPop3Deps, type Pop3ServiceOptions } from '../../../src/access/pop3/pop3-service.js';
import { Pop3Listener } from '../../../src/access/pop3/server.js';
import type { Pop3Deps } from '../../../src/access/pop3/state.js';
import type { Settings } from '../../../src/config/schema.js';
import { ensureTls } from '../../../src/server/tls.js';
import { officeYaml, testContext, type TestContext } from '../../helpers/context.js';

export interface Pop3Harness {
  ctx: TestContext;
  deps: Pop3Deps;
  port: number;
  tlsPort: number;
  settings: Settings;
  deliver(to: string, content: Buffer): Promise<void>;
  close(): Promise<void>;
}

export const fastThrottle = { baseDelayMs: 20, maxDelayMs: 80, windowMs: 60_000, maxFailuresPerAddress: 50, maxFailuresPerUser: 4 };

export async function startPop3(opts: Pop3ServiceOptions & { settings?: (s: Settings) => Settings } = {}): Promise<Pop3Harness> {
  const ctx = await testContext(officeYaml);
  const base = await ctx.store.config.settings();
  const settings = opts.settings ? opts.settings(base) : base;
  const material = await ensureTls(ctx.dataDir, settings);
  const secure = tls.createSecureContext({ cert: material.cert, key: material.key });
  const deps = createPop3Deps(ctx, secure, { throttle: fastThrottle, ...opts }, () => settings);
  const plain = new Pop3Listener(deps, null);
  const implicit = new Pop3Listener(deps, material);
  const port = (await plain.listen('127.0.0.1', 0)).port;
  const tlsPort = (await implicit.listen('127.0.0.1', 0)).port;
  return {
    ctx,
    deps,
    port,
    tlsPort,
    settings,
    async deliver(to, content) {
      const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: 'test' }, routing: { mode: 'envelope', recipients: [to] }, content: Readable.from([content]) });
      if (r.results[0]?.outcome !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(r.results)}`);
    },
    async close() {
      await plain.close();
      await implicit.close();
      await ctx.cleanup();
    },
  };
}

/** A POP3 client that reads replies as raw bytes: what the server sent, unmodified. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(public socket: Socket) {
    this.listen(socket);
  }

  private listen(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number, opts: { tls?: boolean; host?: string } = {}): Promise<RawClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.tls ? tls.connect({ host, port, rejectUnauthorized: false }) : net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    await c.line(); // greeting
    return c;
  }

  /** Sends STLS and upgrades this client's socket. */
  async startTls(): Promise<string> {
    const reply = await this.command('STLS');
    if (!reply.startsWith('+OK')) return reply;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
    return reply;
  }

  private async waitFor(pred: () => number): Promise<Buffer> {
    for (;;) {
      const end = pred();
      if (end >= 0) {
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** One reply line, without CRLF. */
  async line(): Promise<string> {
    const raw = await this.waitFor(() => {
      const i = this.buf.indexOf('\r\n');
      return i === -1 ? -1 : i + 2;
    });
    return raw.subarray(0, raw.length - 2).toString('latin1');
  }

  /** The body of a multi-line reply, exactly as sent (dot-stuffed, up to but without ".CRLF"). */
  async multiline(): Promise<Buffer> {
    const raw = await this.waitFor(() => {
      if (this.buf.subarray(0, 3).equals(Buffer.from('.\r\n'))) return 3;
      const i = this.buf.indexOf('\r\n.\r\n');
      return i === -1 ? -1 : i + 5;
    });
    return raw.length === 3 ? Buffer.alloc(0) : raw.subarray(0, raw.length - 3);
  }

  send(text: string): void {
    this.socket.write(text + '\r\n');
  }

  async command(text: string): Promise<string> {
    this.send(text);
    return this.line();
  }

  async login(user = 'bob', password = 'bobpw'): Promise<string> {
    await this.command(`USER ${user}`);
    return this.command(`PASS ${password}`);
  }

  get closed(): boolean {
    return this.ended;
  }

  async waitClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Undoes dot-stuffing: what a client stores. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString('latin1');
  return Buffer.from(text.replace(/^\./, '').replace(/\r\n\./g, '\r\n'), 'latin1');
}
