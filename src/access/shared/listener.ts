/**
 * A listener for one protocol (plain, offering STLS/STARTTLS, or implicit TLS) on one address and
 * port. Port 0 means "any free port" here; the service (listener-service.ts) is where 0 means
 * "off", as in the settings. POP3 and IMAP differ only in the session they run on each socket.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';

export class ProtocolListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    /** "POP3", "IMAP": for the log. */
    private readonly protocol: string,
    /** Runs one session; `implicitTls` says the socket is already TLS. */
    private readonly runSession: (socket: Socket, implicitTls: boolean) => Promise<void>,
    private readonly log: Logger,
    /** Certificate and key for implicit TLS; null for a plain listener (which offers STLS/STARTTLS). */
    private readonly implicitTls: { cert: Buffer; key: Buffer } | null,
  ) {}

  async listen(host: string, port: number): Promise<AddressInfo> {
    const onSocket = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      this.runSession(socket, this.implicitTls !== null).catch((e: unknown) => this.log.error({ err: e }, `${this.protocol} session crashed`));
    };
    // tls.createServer takes the certificate itself; a `secureContext` option is not used for it.
    const server = this.implicitTls ? tls.createServer({ cert: this.implicitTls.cert, key: this.implicitTls.key }, onSocket) : net.createServer(onSocket);
    // A failed TLS handshake is the client's problem, not a server error.
    server.on('tlsClientError', (e: Error) => this.log.debug({ err: e }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log.error({ err: e }, `${this.protocol} listener error`));
    this.server = server;
    return server.address() as AddressInfo;
  }

  address(): AddressInfo | null {
    return (this.server?.address() as AddressInfo | null) ?? null;
  }

  /** Stops listening and ends every session (a POP3 session cut this way deletes nothing). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
