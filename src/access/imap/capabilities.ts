/** The CAPABILITY list, which depends on the state and on whether the connection is encrypted. */
import { plaintextAllowed as allowed } from '../../auth/client-address.js';
import type { ImapSession } from './state.js';

/** Passwords in the clear are accepted over TLS, from loopback, or when the settings allow it. */
export function plaintextAllowed(session: ImapSession): boolean {
  return allowed(session.conn.encrypted, session.conn.remoteAddress, session.deps.settings());
}

export function capabilities(session: ImapSession): string {
  const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'CHILDREN', 'SPECIAL-USE'];
  caps.push(`APPENDLIMIT=${session.deps.limits.maxAppend}`);
  if (session.state.kind === 'not-authenticated') {
    if (!session.conn.encrypted && session.deps.tlsContext) caps.push('STARTTLS');
    if (plaintextAllowed(session)) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
  }
  return caps.join(' ');
}
