/**
 * An IMAP listener (plain with STARTTLS, or implicit TLS) on one address and port. Port 0 means
 * "any free port" here; the service (imap-service.ts) is where 0 means "off", as in the settings.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { runSession } from './session.js';
import type { ImapDeps } from './state.js';

export class ImapListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly deps: ImapDeps,
    /** Certificate and key for implicit TLS (imaps); null for a plain listener that offers STARTTLS. */
    private readonly implicitTls: { cert: Buffer; key: Buffer } | null,
  ) {}

  async listen(host: string, port: number): Promise<AddressInfo> {
    const onSocket = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      runSession(socket, this.implicitTls !== null, this.deps).catch((e: unknown) => this.deps.log.error({ err: e }, 'IMAP session crashed'));
    };
    // tls.createServer takes the certificate itself; a `secureContext` option is not used for it.
    const server = this.implicitTls ? tls.createServer({ cert: this.implicitTls.cert, key: this.implicitTls.key }, onSocket) : net.createServer(onSocket);
    server.on('tlsClientError', (e: Error) => this.deps.log.debug({ err: e }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.deps.log.error({ err: e }, 'IMAP listener error'));
    this.server = server;
    return server.address() as AddressInfo;
  }

  address(): AddressInfo | null {
    return (this.server?.address() as AddressInfo | null) ?? null;
  }

  /** Stops listening and ends every session. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
