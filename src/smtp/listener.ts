/**
 * One SMTP door as an smtp-server instance: the options that make it MX-style (`smtp`: no AUTH,
 * local recipients only) or submission (AUTH required, own sender addresses), and the handlers
 * wired to policy.ts, auth.ts and receive.ts.
 */
import type { AddressInfo } from 'node:net';
import type { SMTPServerOptions } from 'smtp-server';
import type { SmtpDeps } from './deps.js';
import { authenticate, plaintextAllowed } from './auth.js';
import { checkListPost, checkRecipient, checkSender, type Door } from './policy.js';
import { receiveMessage } from './receive.js';
import { PostroomSmtpServer, toSmtpError } from './replies.js';

/** Settings a listener is built with: a change to any of them rebinds it. */
export function listenerKey(deps: SmtpDeps, door: Door): string {
  const s = deps.settings();
  return JSON.stringify([s.listen.address, s.listen[door], s.hostname, s.smtp.maxMessageBytes]);
}

/** Runs an async handler and reports to smtp-server's callback, errors as SMTP replies. */
function settle<T>(work: () => Promise<T>, done: (err: Error | null, value?: T) => void): void {
  work().then(
    (v) => done(null, v),
    (e: unknown) => done(toSmtpError(e)),
  );
}

export function createSmtpServer(deps: SmtpDeps, door: Door): PostroomSmtpServer {
  const settings = deps.settings();
  const { store } = deps.ctx;
  const userOf = (session: { user?: unknown }) => (typeof session.user === 'string' ? session.user : undefined);
  const options: SMTPServerOptions = {
    name: settings.hostname,
    banner: door === 'smtp' ? 'Postroom ESMTP' : 'Postroom ESMTP submission',
    key: deps.tls.key,
    cert: deps.tls.cert,
    size: settings.smtp.maxMessageBytes,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    hideREQUIRETLS: true,
    disableReverseLookup: true,
    logger: false,
    socketTimeout: 5 * 60_000,
    closeTimeout: 2000,
    authMethods: ['PLAIN', 'LOGIN'],
    // MX takes no passwords at all; submission requires them (checked again in onMailFrom).
    disabledCommands: door === 'smtp' ? ['AUTH'] : [],
    authOptional: door === 'smtp',
    // Submission decides per session (TLS, loopback, allowPlaintextWithoutTls), see onConnect.
    allowInsecureAuth: door === 'submission',
    onConnect(session, done) {
      // AUTH is not even offered where a password would cross the network in the clear.
      if (door === 'submission' && !plaintextAllowed(deps, session)) session.disabledCommands = ['AUTH'];
      done();
    },
    onSecure(_socket, session, done) {
      if (door === 'submission') session.disabledCommands = undefined;
      done();
    },
    onAuth(auth, session, done) {
      settle(async () => ({ user: await authenticate(deps, auth, session) }), done);
    },
    onMailFrom(address, session, done) {
      settle(() => checkSender(store, door, userOf(session), address.address), (err) => done(err));
    },
    onRcptTo(address, session, done) {
      const check = async () => {
        const kind = await checkRecipient(store, deps.settings(), door, userOf(session), address.address);
        if (kind === 'local') await checkListPost(store, deps.settings(), address.address, session.envelope.mailFrom ? session.envelope.mailFrom.address : '');
        return kind;
      };
      settle(check, (err) => {
        if (err) deps.log.info({ session: session.id, remote: session.remoteAddress, rcpt: address.address, door }, `RCPT refused: ${err.message}`);
        done(err);
      });
    },
    onData(stream, session, done) {
      settle(() => receiveMessage(deps, door, stream, session), (err, message) => done(err, message));
    },
  };
  const server = new PostroomSmtpServer(options);
  server.on('error', (err: Error) => deps.log.debug({ err, door }, 'SMTP connection error'));
  return server;
}

export async function listen(server: PostroomSmtpServer, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return server.server.address() as AddressInfo;
}

export async function close(server: PostroomSmtpServer): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
