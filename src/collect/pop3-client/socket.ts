/**
 * Opening the connection: plain TCP, implicit TLS, and the TLS upgrade after STLS. Socket-level
 * failures are turned into Pop3Errors here, because only here is it known whether the TCP
 * connection was up when a failure happened (then it is a TLS problem, not a network one).
 */
import net from 'node:net';
import tls from 'node:tls';
import { localError, type Pop3Place } from './errors.js';

/** TLS settings shared by implicit TLS and STLS. */
export interface TlsSettings {
  /** Verify the server certificate (default true). False only for tests and known self-signed servers. */
  rejectUnauthorized: boolean;
  /** Extra trusted certificates (PEM), e.g. a self-signed server's own certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name to verify the certificate against; defaults to the host unless it is an IP address. */
  servername?: string;
}

function tlsOptions(place: Pop3Place, settings: TlsSettings): tls.ConnectionOptions {
  const servername = settings.servername ?? (net.isIP(place.host) ? undefined : place.host);
  return {
    rejectUnauthorized: settings.rejectUnauthorized,
    ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    ...(servername !== undefined ? { servername } : {}),
  };
}

function describeTlsFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ? `${err.code}: ` : '';
  return `TLS handshake failed: ${code}${err.message ?? String(e)}`;
}

function networkDetail(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ECONNREFUSED') return 'connection refused: nothing listens on that port';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `host name not found (${err.code})`;
  return err.code ? `${err.code}: ${err.message}` : String(e);
}

/**
 * Connects and resolves once the socket is usable (TCP connected, and for implicit TLS the
 * handshake done). Rejects with kind `network`, `timeout` or `tls`.
 */
export function openSocket(place: Pop3Place, implicitTls: boolean, tlsSettings: TlsSettings, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let tcpUp = false;
    const socket = implicitTls
      ? tls.connect({ host: place.host, port: place.port, ...tlsOptions(place, tlsSettings) })
      : net.connect({ host: place.host, port: place.port });
    const ready = implicitTls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(localError(place, 'timeout', tcpUp ? 'TLS handshake' : `connecting, ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      tcpUp = true;
    };
    const onReady = () => {
      cleanup();
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (e: unknown) => {
      cleanup();
      socket.destroy();
      reject(implicitTls && tcpUp ? localError(place, 'tls', describeTlsFailure(e), e) : localError(place, 'network', networkDetail(e), e));
    };
    const onClose = () => onError(new Error('connection closed during the TLS handshake'));
    function cleanup() {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off(ready, onReady);
      socket.off('error', onError);
      socket.off('close', onClose);
      // Later errors are reported by the reader; this keeps them from being uncaught meanwhile.
      socket.on('error', () => {});
    }
    socket.on('connect', onConnect);
    socket.once(ready, onReady);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** Runs the TLS handshake over an existing plain socket (after "+OK" to STLS). */
export function upgradeToTls(place: Pop3Place, socket: net.Socket, tlsSettings: TlsSettings, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, ...tlsOptions(place, tlsSettings) });
    const timer = setTimeout(() => {
      cleanup();
      secure.destroy();
      reject(localError(place, 'timeout', 'TLS handshake after STLS'));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve(secure);
    };
    const onError = (e: unknown) => {
      cleanup();
      secure.destroy();
      reject(localError(place, 'tls', describeTlsFailure(e), e));
    };
    const onClose = () => onError(new Error('connection closed during the TLS handshake'));
    function cleanup() {
      clearTimeout(timer);
      secure.off('secureConnect', onReady);
      secure.off('error', onError);
      secure.off('close', onClose);
      secure.on('error', () => {});
    }
    secure.once('secureConnect', onReady);
    secure.on('error', onError);
    secure.on('close', onClose);
  });
}
