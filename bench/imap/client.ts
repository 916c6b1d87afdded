/**
 * A minimal IMAP client for the benchmark: logs in, selects, sends one FETCH for the whole mailbox
 * and reads the response to its tagged end, skipping literals by their announced size (so message
 * text that looks like "A3 OK" cannot end it early). Counts responses and octets; parses nothing
 * else, so what is measured is the server.
 */
import net from 'node:net';

export interface FetchRound {
  /** Untagged FETCH responses received. */
  responses: number;
  /** Literal octets received (headers or bodies). */
  literalBytes: number;
  seconds: number;
}

export class BenchClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private tag = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      const w = this.waiter;
      this.waiter = null;
      w?.();
    });
  }

  static async connect(port: number, user: string, password: string, mailbox = 'INBOX'): Promise<BenchClient> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const c = new BenchClient(socket);
    await c.readUntilTagged(null);
    await c.run(`LOGIN ${user} ${password}`);
    await c.run(`SELECT ${mailbox}`);
    return c;
  }

  private async more(): Promise<void> {
    await new Promise<void>((r) => (this.waiter = r));
  }

  /** Reads responses until the line tagged `tag` (or the greeting when null). */
  private async readUntilTagged(tag: string | null): Promise<{ responses: number; literalBytes: number; status: string }> {
    let responses = 0;
    let literalBytes = 0;
    for (;;) {
      const lf = this.buf.indexOf(10);
      if (lf === -1) {
        await this.more();
        continue;
      }
      const line = this.buf.toString('latin1', 0, lf - 1);
      // Only the first segment of a response starts with "* " (later ones follow a literal).
      if (tag !== null && line.startsWith('* ') && line.includes(' FETCH (')) responses++;
      const m = /\{(\d+)\}$/.exec(line);
      if (m) {
        const n = Number(m[1]);
        while (this.buf.length < lf + 1 + n) await this.more();
        literalBytes += n;
        // The response continues after the literal: drop line + literal, keep scanning the rest.
        this.buf = this.buf.subarray(lf + 1 + n);
        continue;
      }
      this.buf = this.buf.subarray(lf + 1);
      if (tag === null) return { responses, literalBytes, status: line };
      if (line.startsWith(`${tag} `)) {
        if (!line.startsWith(`${tag} OK`)) throw new Error(`server said: ${line}`);
        return { responses, literalBytes, status: line };
      }
    }
  }

  async run(command: string): Promise<{ responses: number; literalBytes: number }> {
    const tag = `B${++this.tag}`;
    this.socket.write(`${tag} ${command}\r\n`);
    return this.readUntilTagged(tag);
  }

  /** One FETCH over the whole mailbox, timed. */
  async fetchAll(items: string): Promise<FetchRound> {
    const start = process.hrtime.bigint();
    const r = await this.run(`FETCH 1:* ${items}`);
    return { responses: r.responses, literalBytes: r.literalBytes, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  }

  async close(): Promise<void> {
    await this.run('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }
}
