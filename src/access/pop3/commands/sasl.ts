/**
 * AUTH (RFC 5034) with the PLAIN mechanism (RFC 4616). "AUTH" alone lists the mechanisms, as
 * Outlook expects. The initial response may come with the command ("=" means empty); otherwise the
 * server sends an empty challenge "+ " and reads one line; "*" cancels.
 */
import { login, plaintextAllowed, plaintextRefused } from '../login.js';
import type { Pop3Command } from '../parser.js';
import { err } from '../replies.js';
import type { CommandHandler, Pop3Session } from '../state.js';

export const auth: CommandHandler<Extract<Pop3Command, { kind: 'AUTH' }>> = {
  phases: ['authorization'],
  async run(session, cmd) {
    const { conn } = session;
    if (cmd.mechanism === null) {
      const list = plaintextAllowed(session) ? 'PLAIN\r\n' : '';
      return conn.send(`+OK Mechanisms follow\r\n${list}.\r\n`);
    }
    if (cmd.mechanism !== 'PLAIN') return conn.send(err('Unsupported authentication mechanism'));
    if (!plaintextAllowed(session)) return conn.send(plaintextRefused());
    let response = cmd.initialResponse;
    if (response === null) {
      await conn.send('+ \r\n');
      response = await conn.readLine();
      if (response === null) return;
    }
    if (response === '*') return conn.send(err('Authentication cancelled'));
    const credentials = decodePlain(response === '=' ? '' : response);
    if (!credentials) return conn.send(err('Malformed PLAIN response', 'AUTH'));
    await loginPlain(session, credentials);
  },
};

async function loginPlain(session: Pop3Session, c: PlainCredentials): Promise<void> {
  // Acting for another user (authzid) is not supported: it must be empty or the same login.
  if (c.authzid !== '' && c.authzid.toLowerCase() !== c.authcid.toLowerCase()) {
    return session.conn.send(err('Authorization identity must be empty or your own', 'AUTH'));
  }
  await login(session, c.authcid, c.password, 'PLAIN');
}

export interface PlainCredentials {
  authzid: string;
  authcid: string;
  password: string;
}

/** RFC 4616: base64 of authzid NUL authcid NUL passwd. Null when malformed. */
export function decodePlain(base64: string): PlainCredentials | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return null;
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\u0000');
  if (parts.length !== 3 || parts[1] === '' || parts[2] === '') return null;
  return { authzid: parts[0]!, authcid: parts[1]!, password: parts[2]! };
}
