/**
 * A POP3 client for mail collectors (RFC 1939, RFC 2449 CAPA/PIPELINING/RESP-CODES, RFC 2595
 * STLS, RFC 5034 AUTH PLAIN). Messages are streamed, never buffered whole; listings are small and
 * returned as arrays. See src/collect/README.md for the contract in prose.
 */
import { createHash } from 'node:crypto';
import { Pop3Error, loginError, localError, type Pop3Place } from './errors.js';
import type { BodyStream } from './reader.js';
import { Session } from './session.js';
import { openSocket, upgradeToTls, type TlsSettings } from './socket.js';

export type { BodyStream } from './reader.js';

/** How to connect and log in. Only host, user and password are required. */
export interface Pop3ClientOptions {
  host: string;
  /** Default: 995 for `tls`, 110 otherwise. */
  port?: number;
  /** `tls`: TLS from the first byte (port 995); `starttls`: plain, then STLS, required; `none`: plain text. Default `tls`. */
  security?: 'tls' | 'starttls' | 'none';
  user: string;
  password: string;
  /** `auto` (default): AUTH PLAIN if CAPA lists SASL PLAIN, else USER/PASS. APOP only when asked for. */
  auth?: 'auto' | 'user' | 'apop' | 'plain';
  /** Shown verbatim before every error message, e.g. "collector isp-bob". */
  label?: string;
  /** Verify the certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Extra trusted certificates (PEM), e.g. a self-signed server's own certificate. */
  ca?: TlsSettings['ca'];
  /** Certificate name to check, when it differs from `host`. */
  servername?: string;
  /** Limit for every wait on the server: connecting, the greeting, each reply, each chunk of a body. Default 60 000 ms. */
  timeoutMs?: number;
  /** Use PIPELINING when the server announces it (default true). */
  pipelining?: boolean;
  /** RETR commands kept in flight by retrieveMany when pipelining (default 16). */
  pipelineWindow?: number;
}

/** One line of LIST. */
export interface ListEntry {
  id: number;
  size: number;
}

/** One line of UIDL. */
export interface UidlEntry {
  id: number;
  uid: string;
}

/** What retrieveMany did: the ids handed to the callback, and those the server refused with -ERR. */
export interface RetrieveManyResult {
  retrieved: number[];
  refused: Array<{ id: number; error: Pop3Error }>;
}

/**
 * A logged-in POP3 session (TRANSACTION state). Create with `Pop3Client.connect`.
 *
 * Contract: every method rejects with a Pop3Error. A -ERR to a command rejects that command only;
 * a timeout, a lost connection or a protocol violation ends the session (later calls reject with
 * the same error). Deletions take effect only through `quit()`; `close()` or any failure before
 * it leaves every message on the server (RFC 1939 section 6). Bodies from `retr`/`top` must be
 * read to their end (or destroyed, which ends the session) before later replies can arrive.
 */
export class Pop3Client {
  private constructor(
    private readonly session: Session,
    private readonly options: Required<Pick<Pop3ClientOptions, 'pipelineWindow'>>,
    /** Capabilities from the last CAPA (names upper-cased, arguments as given); null if CAPA failed. */
    readonly capabilities: ReadonlyMap<string, string[]> | null,
    /** The greeting's text after "+OK". */
    readonly greeting: string,
    /** True if the session runs over TLS (implicit or STLS). */
    readonly secure: boolean,
  ) {}

  /** Connects, secures, logs in and reads the capabilities. Rejects with a Pop3Error. */
  static async connect(opts: Pop3ClientOptions): Promise<Pop3Client> {
    const security = opts.security ?? 'tls';
    const place: Pop3Place = {
      host: opts.host,
      port: opts.port ?? (security === 'tls' ? 995 : 110),
      user: opts.user,
      ...(opts.label !== undefined ? { label: opts.label } : {}),
    };
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const tlsSettings: TlsSettings = {
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
    };
    const socket = await openSocket(place, security === 'tls', tlsSettings, timeoutMs);
    const session = Session.start(socket, place, timeoutMs);
    try {
      const greeting = await session.readReply('the greeting');
      if (!greeting.ok) {
        throw localError(place, 'refused', `greeting: -ERR ${greeting.text}`);
      }
      let capa = await readCapabilities(session);
      if (security === 'starttls') {
        if (capa && !capa.has('STLS')) {
          throw localError(place, 'tls', 'the server does not offer STLS');
        }
        await session.sendSimple('STLS', 'STLS', false).catch((e: unknown) => {
          throw e instanceof Pop3Error && e.kind === 'protocol' ? localError(place, 'tls', `STLS refused: ${e.serverText}`) : e;
        });
        await session.upgrade('STLS', (plain) => upgradeToTls(place, plain, tlsSettings, timeoutMs));
        // RFC 2595 section 4: capabilities learned before TLS must be forgotten.
        capa = await readCapabilities(session);
      }
      await logIn(session, place, opts, capa, greeting.text);
      // Capabilities may differ once logged in (RFC 2449 section 5); PIPELINING counts from here.
      if (capa) capa = await readCapabilities(session);
      session.pipelining = (opts.pipelining ?? true) && !!capa?.has('PIPELINING');
      return new Pop3Client(session, { pipelineWindow: opts.pipelineWindow ?? 16 }, capa, greeting.text, security !== 'none');
    } catch (e) {
      session.abort(e);
      throw e;
    }
  }

  /** True if the server announced PIPELINING and it is in use. */
  get pipelining(): boolean {
    return this.session.pipelining;
  }

  /**
   * Whether UIDL is available: true/false from CAPA, undefined when the server has no CAPA
   * (then call `uidl()` and treat a `protocol` Pop3Error as "not supported").
   */
  get supportsUidl(): boolean | undefined {
    return this.capabilities ? this.capabilities.has('UIDL') : undefined;
  }

  /** STAT: number of messages and their total size in octets. */
  async stat(): Promise<{ count: number; size: number }> {
    const reply = await this.session.sendSimple('STAT');
    const m = /^(\d+)\s+(\d+)/.exec(reply.text);
    if (!m) throw this.malformed('STAT', reply.text);
    return { count: Number(m[1]), size: Number(m[2]) };
  }

  /** LIST: every message (not marked deleted) and its size. */
  async list(): Promise<ListEntry[]> {
    const { lines } = await this.session.sendListing('LIST');
    return lines.map((line) => this.parsePair(line, 'LIST', (id, rest) => ({ id, size: this.number(rest, 'LIST') })));
  }

  /** LIST n: one message's size. */
  async listOne(id: number): Promise<ListEntry> {
    const reply = await this.session.sendSimple(`LIST ${checkId(id)}`, `LIST ${id}`);
    return this.parsePair(reply.text, 'LIST', (n, rest) => ({ id: n, size: this.number(rest, 'LIST') }));
  }

  /** UIDL: every message's unique id. */
  async uidl(): Promise<UidlEntry[]> {
    const { lines } = await this.session.sendListing('UIDL');
    return lines.map((line) => this.parsePair(line, 'UIDL', (id, uid) => ({ id, uid })));
  }

  /** UIDL n: one message's unique id. */
  async uidlOne(id: number): Promise<UidlEntry> {
    const reply = await this.session.sendSimple(`UIDL ${checkId(id)}`, `UIDL ${id}`);
    return this.parsePair(reply.text, 'UIDL', (n, uid) => ({ id: n, uid }));
  }

  /** RETR n: the message as a stream of bytes (unstuffed; CRLF as the server sent it). */
  retr(id: number): Promise<BodyStream> {
    return this.session.sendBody(`RETR ${checkId(id)}`, `RETR ${id}`);
  }

  /** TOP n lines: the header and the first `lines` lines of the body (`top(n, 0)` is the header). */
  top(id: number, lines: number): Promise<BodyStream> {
    if (!Number.isInteger(lines) || lines < 0) throw new RangeError(`TOP: line count must be a non-negative integer, got ${lines}`);
    return this.session.sendBody(`TOP ${checkId(id)} ${lines}`, `TOP ${id} ${lines}`);
  }

  /** DELE n: marks the message deleted; it goes only when `quit()` succeeds. */
  async dele(id: number): Promise<void> {
    await this.session.sendSimple(`DELE ${checkId(id)}`, `DELE ${id}`);
  }

  async noop(): Promise<void> {
    await this.session.sendSimple('NOOP');
  }

  /** RSET: unmarks every message marked deleted in this session. */
  async rset(): Promise<void> {
    await this.session.sendSimple('RSET');
  }

  /**
   * QUIT: commits the deletions and closes. Resolves only on +OK; a -ERR (RFC 1939: "some
   * deleted messages not removed") rejects, and then nothing can be assumed deleted.
   */
  async quit(): Promise<void> {
    try {
      await this.session.sendSimple('QUIT', 'QUIT', false);
    } finally {
      this.session.close();
    }
  }

  /** Drops the connection without QUIT: nothing marked deleted is removed. */
  close(): void {
    this.session.abort(localError(this.session.place, 'network', 'the session was closed by this client without QUIT'));
  }

  /**
   * Retrieves messages in order, keeping between half of `window` and `window` RETR commands in
   * flight when the server pipelines (one at a time otherwise). `onMessage` gets each body and
   * must read it to its end before resolving. A message the server refuses with -ERR is reported
   * in `refused` and the rest go on; a connection failure, or `onMessage` throwing, ends the
   * session and rejects.
   */
  async retrieveMany(
    ids: readonly number[],
    onMessage: (id: number, body: BodyStream) => Promise<void>,
    opts: { window?: number } = {},
  ): Promise<RetrieveManyResult> {
    const window = this.pipelining ? Math.max(1, opts.window ?? this.options.pipelineWindow) : 1;
    const inFlight: Array<{ id: number; reply: Promise<BodyStream> }> = [];
    const result: RetrieveManyResult = { retrieved: [], refused: [] };
    let next = 0;
    // Refilled once half the window is answered, not after each message: the RETRs sent together
    // leave in one write (session.writeLine), one packet and one wake-up of the server for half a
    // window instead of one per message, and the server still has half a window queued.
    const refillAt = Math.floor(window / 2);
    const fill = () => {
      if (inFlight.length > refillAt) return;
      while (inFlight.length < window && next < ids.length) {
        const id = ids[next++]!;
        const reply = this.retr(id);
        reply.catch(() => {}); // handled when its turn comes; this only silences the early rejection
        inFlight.push({ id, reply });
      }
    };
    try {
      fill();
      while (inFlight.length > 0) {
        const { id, reply } = inFlight.shift()!;
        let body: BodyStream;
        try {
          body = await reply;
        } catch (e) {
          if (e instanceof Pop3Error && !this.session.failure) {
            result.refused.push({ id, error: e });
            fill();
            continue;
          }
          throw e;
        }
        fill();
        await onMessage(id, body);
        if (!body.readableEnded) {
          throw new Error(`retrieveMany: onMessage for message ${id} resolved before reading the body to its end`);
        }
        result.retrieved.push(id);
      }
      return result;
    } catch (e) {
      throw this.session.abort(e);
    }
  }

  private parsePair<T>(line: string, what: string, make: (id: number, rest: string) => T): T {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (!m) throw this.malformed(what, line);
    return make(Number(m[1]), m[2]!);
  }

  private number(text: string, what: string): number {
    if (!/^\d+$/.test(text)) throw this.malformed(what, text);
    return Number(text);
  }

  private malformed(what: string, text: string): Pop3Error {
    return localError(this.session.place, 'protocol', `unreadable ${what} line "${text.slice(0, 80)}"`);
  }
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`message number must be a positive integer, got ${id}`);
  return id;
}

/** CAPA (RFC 2449): null if the server does not know it. */
async function readCapabilities(session: Session): Promise<Map<string, string[]> | null> {
  try {
    const { lines } = await session.sendListing('CAPA');
    const capa = new Map<string, string[]>();
    for (const line of lines) {
      const [name, ...args] = line.trim().split(/\s+/);
      if (name) capa.set(name.toUpperCase(), args);
    }
    return capa;
  } catch (e) {
    if (e instanceof Pop3Error && e.kind === 'protocol' && !session.failure) return null;
    throw e;
  }
}

async function logIn(session: Session, place: Pop3Place, opts: Pop3ClientOptions, capa: Map<string, string[]> | null, greeting: string): Promise<void> {
  const method = opts.auth ?? 'auto';
  const saslPlain = !!capa?.get('SASL')?.some((m) => m.toUpperCase() === 'PLAIN');
  const chosen = method === 'auto' ? (saslPlain ? 'plain' : 'user') : method;
  const login = async (command: string, what: string): Promise<void> => {
    await session.sendSimple(command, what, false).catch((e: unknown) => {
      const refused = e instanceof Pop3Error && !session.failure;
      throw refused ? loginError(place, e.respCode ? `[${e.respCode}] ${e.serverText}` : e.serverText) : e;
    });
  };
  if (chosen === 'user') {
    await login(`USER ${opts.user}`, 'USER');
    await login(`PASS ${opts.password}`, 'PASS');
  } else if (chosen === 'apop') {
    const stamp = /<[^<>\s]*>/.exec(greeting)?.[0];
    if (!stamp) throw localError(place, 'protocol', 'APOP was asked for but the greeting has no timestamp: the server does not offer APOP; use auth: user or auto');
    const digest = createHash('md5').update(stamp + opts.password, 'utf8').digest('hex');
    await login(`APOP ${opts.user} ${digest}`, 'APOP');
  } else {
    const response = Buffer.from(`\0${opts.user}\0${opts.password}`, 'utf8').toString('base64');
    // RFC 5034 section 4: a command line with an initial response must fit in 255 octets.
    if (`AUTH PLAIN ${response}`.length + 2 <= 255) {
      await login(`AUTH PLAIN ${response}`, 'AUTH PLAIN');
    } else {
      await authWithoutInitialResponse(session, place, response);
    }
  }
}

async function authWithoutInitialResponse(session: Session, place: Pop3Place, response: string): Promise<void> {
  session.writeLine('AUTH PLAIN');
  const challenge = await session.readReply('AUTH PLAIN');
  if (!challenge.ok || !challenge.text.startsWith('+')) throw loginError(place, challenge.text);
  session.writeLine(response);
  const reply = await session.readReply('AUTH PLAIN response');
  if (!reply.ok) throw loginError(place, reply.text);
}
