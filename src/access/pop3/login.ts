/**
 * The end of every login path (USER/PASS, AUTH PLAIN): throttle, check the password, lock the
 * maildrop, take the snapshot, enter TRANSACTION.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyPassword } from '../../auth/passwords.js';
import { plaintextAllowed as allowed } from '../../auth/client-address.js';
import { Maildrop } from './maildrop.js';
import { err, ok } from './replies.js';
import type { Pop3Session } from './state.js';

/** Passwords in the clear are accepted over TLS, from loopback, or when the settings allow it. */
export function plaintextAllowed(session: Pop3Session): boolean {
  return allowed(session.conn.encrypted, session.conn.remoteAddress, session.deps.settings());
}

export const plaintextRefused = (): string => err('Plaintext authentication is disallowed on non-secure connections: use STLS or port pop3s', 'AUTH');

export async function login(session: Pop3Session, loginName: string, password: string, method: string): Promise<void> {
  const { deps, conn, log } = session;
  const address = conn.remoteAddress;
  if (deps.throttle.blocked(address, loginName)) {
    log.warn({ login: loginName, method }, 'login refused: too many failed attempts');
    await conn.send(err('Too many failed logins, try again later', 'SYS/TEMP'));
    return;
  }
  const user = await deps.users.findByLogin(loginName);
  const valid = user !== undefined && (await verifyPassword(user.passwordHash, password));
  if (!user || !valid) {
    const delay = deps.throttle.failed(address, loginName);
    log.warn({ login: loginName, method, delayMs: delay }, user ? 'login failed: wrong password' : 'login failed: no such user');
    await sleep(delay);
    await conn.send(err('Authentication failed', 'AUTH'));
    return;
  }
  deps.throttle.succeeded(address, loginName);
  const lock = deps.locks.acquire(user.name);
  if (!lock) {
    log.info({ user: user.name, method }, 'login refused: maildrop in use by another session');
    await conn.send(err('Maildrop already in use by another session', 'IN-USE'));
    return;
  }
  let maildrop: Maildrop;
  try {
    maildrop = await Maildrop.load(await deps.maildrops.snapshot(user.name), deps.tails);
  } catch (e) {
    lock.release();
    log.error({ err: e, user: user.name }, 'could not open the maildrop');
    await conn.send(err('Cannot open the maildrop now, try again later', 'SYS/TEMP'));
    return;
  }
  session.state = { phase: 'transaction', user: user.name, maildrop, release: lock.release, retrieved: 0, keepDeletedDays: user.keepDeletedDays ?? 0 };
  const { count, octets } = maildrop.stat();
  log.info({ user: user.name, login: loginName, method, messages: count, octets }, 'login');
  await conn.send(ok(`${user.name}'s maildrop has ${count} messages (${octets} octets)`));
}
