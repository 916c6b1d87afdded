/**
 * IMAP test harness: a data directory with bob and jane, an IMAP listener (plain + implicit TLS) on
 * 127.0.0.1 with free ports, delivery through the pipeline, and a raw client that reads responses
 * byte-exact (literals included) up to the tagged completion.
 */
import net, { type Socket } from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { createImapDeps, type ImapServiceOptions } from '../../../src/access/imap/imap-service.js';
import { ImapListener } from '../../../src/access/imap/server.js';
import type { ImapDeps } from '../../../src/access/imap/state.js';
import type { Settings } from '../../../src/config/schema.js';
import { ensureTls } from '../../../src/server/tls.js';
import { officeYaml, testContext, type TestContext } from '../../helpers/context.js';

export interface ImapHarness {
  ctx: TestContext;
  deps: ImapDeps;
  port: number;
  tlsPort: number;
  deliver(to: string, content: Buffer): Promise<void>;
  close(): Promise<void>;
}

export const fastThrottle = { baseDelayMs: 10, maxDelayMs: 40, windowMs: 60_000, maxFailuresPerAddress: 50, maxFailuresPerUser: 3 };

export async function startImap(opts: ImapServiceOptions & { settings?: (s: Settings) => Settings } = {}): Promise<ImapHarness> {
  const ctx = await testContext(officeYaml);
  const base = await ctx.store.config.settings();
  const settings = opts.settings ? opts.settings(base) : base;
  const material = await ensureTls(ctx.dataDir, settings);
  const secure = tls.createSecureContext({ cert: material.cert, key: material.key });
  const deps = createImapDeps(ctx, secure, { throttle: fastThrottle, idlePollMs: 100, ...opts }, () => settings);
  const plain = new ImapListener(deps, null);
  const implicit = new ImapListener(deps, material);
  const port = (await plain.listen('127.0.0.1', 0)).port;
  const tlsPort = (await implicit.listen('127.0.0.1', 0)).port;
  return {
    ctx,
    deps,
    port,
    tlsPort,
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

/** The response to one command: untagged lines (literals inline), and the tagged line. */
export interface Response {
  /** Untagged responses without their "* " (continuation requests keep their "+"). */
  untagged: string[];
  tagged: string;
  /** Everything received, exactly. */
  raw: Buffer;
}

export class RawImapClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;
  private seq = 0;

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

  static async connect(port: number, opts: { tls?: boolean; host?: string } = {}): Promise<{ client: RawImapClient; greeting: string }> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.tls ? tls.connect({ host, port, rejectUnauthorized: false }) : net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawImapClient(socket);
    const greeting = (await client.line()).toString('utf8');
    return { client, greeting };
  }

  async waitFor(pred: () => number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = pred();
      if (end >= 0) {
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** One response line with its literals inline (without the final CRLF). */
  async line(timeoutMs?: number): Promise<Buffer> {
    const raw = await this.waitFor(() => {
      let from = 0;
      for (;;) {
        const i = this.buf.indexOf('\r\n', from);
        if (i === -1) return -1;
        const m = /\{(\d+)\}$/.exec(this.buf.toString('latin1', Math.max(from, i - 12), i));
        if (!m) return i + 2;
        const next = i + 2 + Number(m[1]);
        if (this.buf.length < next) return -1;
        from = next;
      }
    }, timeoutMs);
    return raw.subarray(0, raw.length - 2);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  nextTag(): string {
    return `A${++this.seq}`;
  }

  /** Sends `tag text` and reads up to the tagged response. */
  async command(text: string, timeoutMs?: number): Promise<Response> {
    const tag = this.nextTag();
    this.send(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  async until(tag: string, timeoutMs?: number): Promise<Response> {
    const untagged: string[] = [];
    const raws: Buffer[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      raws.push(l, Buffer.from('\r\n'));
      const s = l.toString('utf8');
      if (s.startsWith(`${tag} `)) return { untagged, tagged: s, raw: Buffer.concat(raws) };
      untagged.push(s.startsWith('* ') ? s.slice(2) : s);
    }
  }

  async login(user = 'bob', password = 'bobpw'): Promise<Response> {
    return this.command(`LOGIN ${user} ${password}`);
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
