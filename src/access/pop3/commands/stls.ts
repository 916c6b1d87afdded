/** STLS (RFC 2595 section 4): switch a plain connection to TLS before logging in. */
import type { Pop3Command } from '../parser.js';
import { err, ok } from '../replies.js';
import type { CommandHandler } from '../state.js';

export const stls: CommandHandler<Extract<Pop3Command, { kind: 'STLS' }>> = {
  phases: ['authorization'],
  async run(session) {
    const { conn, deps } = session;
    if (conn.encrypted) return conn.send(err('Already using TLS'));
    if (!deps.tlsContext) return conn.send(err('TLS is not available'));
    await conn.send(ok('Begin TLS negotiation'));
    await conn.startTls(deps.tlsContext);
    // RFC 2595 section 4: the client must forget what it knew; so must we (a USER given before).
    session.state = { phase: 'authorization', pendingUser: null };
  },
};
