/** CAPA (RFC 2449 section 5): what this server offers, in the session's current state. */
import { plaintextAllowed } from '../login.js';
import type { Pop3Command } from '../parser.js';
import type { CommandHandler } from '../state.js';

export const capa: CommandHandler<Extract<Pop3Command, { kind: 'CAPA' }>> = {
  phases: ['authorization', 'transaction'],
  async run(session) {
    const lines = ['+OK Capability list follows', 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
    if (session.state.phase === 'authorization') {
      // Offer password logins only where they would be accepted: a client then knows to use STLS.
      if (plaintextAllowed(session)) lines.push('USER', 'SASL PLAIN');
      if (!session.conn.encrypted && session.deps.tlsContext) lines.push('STLS');
    }
    lines.push('IMPLEMENTATION Postroom', '.');
    await session.conn.send(lines.join('\r\n') + '\r\n');
  },
};
