/**
 * AUTH PLAIN/LOGIN on submission: only over TLS, from loopback, or when
 * `security.allowPlaintextWithoutTls` allows it; failures are throttled per client address and per
 * login name with the throttle POP3 uses (src/auth/login-throttle.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { verifyPassword } from '../auth/passwords.js';
import { plaintextAllowed as allowed } from '../auth/client-address.js';
import { refusal } from './replies.js';
import type { SmtpDeps } from './deps.js';

/** Whether this session may send a password in the clear. */
export function plaintextAllowed(deps: SmtpDeps, session: SMTPServerSession): boolean {
  return allowed(session.secure, session.remoteAddress, deps.settings());
}

/** Checks the credentials; resolves to the user name, or throws the refusal to send. */
export async function authenticate(deps: SmtpDeps, auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<string> {
  const log = deps.log.child({ session: session.id, remote: session.remoteAddress });
  if (!plaintextAllowed(deps, session)) {
    throw refusal(538, '5.7.11', 'Encryption required for requested authentication mechanism: use STARTTLS', 'AUTH without TLS refused');
  }
  const login = auth.username ?? '';
  const address = session.remoteAddress;
  if (deps.throttle.blocked(address, login)) {
    log.warn({ login, method: auth.method }, 'SMTP AUTH refused: too many failed attempts');
    throw refusal(454, '4.7.0', 'Too many failed logins, try again later');
  }
  const user = login ? await deps.ctx.store.users.findByLogin(login) : undefined;
  const valid = user !== undefined && (await verifyPassword(user.passwordHash, auth.password ?? ''));
  if (!user || !valid) {
    const delayMs = deps.throttle.failed(address, login);
    log.warn({ login, method: auth.method, delayMs }, user ? 'SMTP AUTH failed: wrong password' : 'SMTP AUTH failed: no such user');
    await sleep(delayMs);
    throw refusal(535, '5.7.8', 'Authentication credentials invalid');
  }
  deps.throttle.succeeded(address, login);
  log.info({ user: user.name, login, method: auth.method, tls: session.secure }, 'SMTP AUTH');
  return user.name;
}
