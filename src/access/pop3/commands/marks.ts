/** DELE, RSET and NOOP (RFC 1939 section 5): marks only; nothing is removed before UPDATE. */
import type { Pop3Command } from '../parser.js';
import { err, ok } from '../replies.js';
import type { CommandHandler } from '../state.js';

type Cmd<K extends Pop3Command['kind']> = Extract<Pop3Command, { kind: K }>;

export const dele: CommandHandler<Cmd<'DELE'>> = {
  phases: ['transaction'],
  async run(session, cmd) {
    if (session.state.phase !== 'transaction') return;
    const entry = session.state.maildrop.entries[cmd.msg - 1];
    if (!entry) return session.conn.send(err('No such message'));
    if (entry.deleted) return session.conn.send(err(`Message ${cmd.msg} already deleted`));
    entry.deleted = true;
    // A RETR of it pipelined behind this DELE was read ahead; it will only get -ERR now.
    session.readAhead.discard(session.deps.blobs.locate(entry.blob));
    await session.conn.send(ok(`Message ${cmd.msg} deleted`));
  },
};

export const rset: CommandHandler<Cmd<'RSET'>> = {
  phases: ['transaction'],
  async run(session) {
    if (session.state.phase !== 'transaction') return;
    session.state.maildrop.unmarkAll();
    const { count, octets } = session.state.maildrop.stat();
    await session.conn.send(ok(`Maildrop has ${count} messages (${octets} octets)`));
  },
};

export const noop: CommandHandler<Cmd<'NOOP'>> = {
  phases: ['transaction'],
  async run(session) {
    await session.conn.send(ok(''));
  },
};
