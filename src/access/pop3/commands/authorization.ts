/** USER/PASS (RFC 1939 section 7) and APOP. */
import { login, plaintextAllowed, plaintextRefused } from '../login.js';
import type { Pop3Command } from '../parser.js';
import { err, ok } from '../replies.js';
import type { CommandHandler } from '../state.js';

type Cmd<K extends Pop3Command['kind']> = Extract<Pop3Command, { kind: K }>;

export const user: CommandHandler<Cmd<'USER'>> = {
  phases: ['authorization'],
  async run(session, cmd) {
    if (session.state.phase !== 'authorization') return;
    if (!plaintextAllowed(session)) return session.conn.send(plaintextRefused());
    session.state.pendingUser = cmd.name;
    await session.conn.send(ok('Send your password'));
  },
};

export const pass: CommandHandler<Cmd<'PASS'>> = {
  phases: ['authorization'],
  async run(session, cmd) {
    if (session.state.phase !== 'authorization') return;
    const name = session.state.pendingUser;
    session.state.pendingUser = null;
    if (name === null) return session.conn.send(err('Send USER first'));
    if (!plaintextAllowed(session)) return session.conn.send(plaintextRefused());
    await login(session, name, cmd.password, 'USER');
  },
};

/**
 * APOP needs the password in the clear on the server (MD5 of timestamp + secret). Postroom keeps
 * only argon2 hashes, so APOP is refused and the greeting carries no timestamp (RFC 1939 section 7:
 * a server that does not offer APOP leaves it out); clients then fall back to USER/PASS or SASL.
 */
export const apop: CommandHandler<Cmd<'APOP'>> = {
  phases: ['authorization'],
  async run(session) {
    await session.conn.send(err('APOP is not available: use USER/PASS or AUTH PLAIN over TLS'));
  },
};
