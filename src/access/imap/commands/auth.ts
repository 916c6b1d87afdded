/**
 * LOGIN, AUTHENTICATE PLAIN (RFC 4616, with SASL-IR RFC 4959) and STARTTLS (RFC 3501 6.2.1).
 * Both logins end in `login()`: throttle, password check, state change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyPassword } from '../../../auth/passwords.js';
import { decodePlain } from '../../pop3/commands/sasl.js';
import { capabilities, plaintextAllowed } from '../capabilities.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler, ImapSession, Reply } from '../state.js';

type Cmd<N extends ImapCommand['name']> = Extract<ImapCommand, { name: N }>;

const PRIVACY = 'Plaintext authentication is disallowed on non-secure connections: use STARTTLS or port imaps';

export const loginCommand: CommandHandler<Cmd<'LOGIN'>> = {
  states: ['not-authenticated'],
  expungeAllowed: false,
  async run(session, cmd, reply) {
    if (!plaintextAllowed(session)) return reply.no(PRIVACY, 'PRIVACYREQUIRED');
    await login(session, reply, cmd.user, cmd.password, 'LOGIN');
  },
};

export const authenticate: CommandHandler<Cmd<'AUTHENTICATE'>> = {
  states: ['not-authenticated'],
  expungeAllowed: false,
  async run(session, cmd, reply) {
    if (cmd.mechanism !== 'PLAIN') return reply.no(`Unsupported mechanism ${cmd.mechanism}; PLAIN is supported`);
    if (!plaintextAllowed(session)) return reply.no(PRIVACY, 'PRIVACYREQUIRED');
    let response = cmd.initialResponse;
    if (response === null) {
      await reply.raw('+ \r\n');
      const line = await session.conn.readLine();
      if (line === null) return;
      response = line.toString('latin1');
    }
    if (response === '*') return reply.bad('Authentication cancelled');
    const c = decodePlain(response === '=' ? '' : response);
    if (!c) return reply.bad('Malformed PLAIN response');
    if (c.authzid !== '' && c.authzid.toLowerCase() !== c.authcid.toLowerCase()) {
      return reply.no('Authorization identity must be empty or your own', 'AUTHORIZATIONFAILED');
    }
    await login(session, reply, c.authcid, c.password, 'PLAIN');
  },
};

async function login(session: ImapSession, reply: Reply, loginName: string, password: string, method: string): Promise<void> {
  const { deps, conn } = session;
  const address = conn.remoteAddress;
  if (deps.throttle.blocked(address, loginName)) {
    session.log.warn({ login: loginName, method }, 'login refused: too many failed attempts');
    return reply.no('Too many failed logins, try again later', 'UNAVAILABLE');
  }
  const user = await deps.users.findByLogin(loginName);
  const valid = user !== undefined && (await verifyPassword(user.passwordHash, password));
  if (!user || !valid) {
    const delay = deps.throttle.failed(address, loginName);
    session.log.warn({ login: loginName, method, delayMs: delay }, user ? 'login failed: wrong password' : 'login failed: no such user');
    await sleep(delay);
    return reply.no('Authentication failed', 'AUTHENTICATIONFAILED');
  }
  deps.throttle.succeeded(address, loginName);
  session.state = { kind: 'authenticated', user: user.name };
  session.log = session.log.child({ user: user.name });
  session.log.info({ login: loginName, method }, 'login');
  await reply.ok('Logged in', `CAPABILITY ${capabilities(session)}`);
}

export const starttls: CommandHandler<Cmd<'STARTTLS'>> = {
  states: ['not-authenticated'],
  expungeAllowed: false,
  async run(session, _cmd, reply) {
    const context = session.deps.tlsContext;
    if (!context) return reply.no('TLS is not available');
    if (session.conn.encrypted) return reply.bad('Already encrypted');
    await reply.ok('Begin TLS negotiation now');
    const ok = await session.conn.startTls(context);
    if (!ok) session.conn.destroy();
  },
};
