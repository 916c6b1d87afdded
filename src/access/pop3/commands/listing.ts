/** STAT, LIST and UIDL (RFC 1939 section 5 and 7): sizes as served, UIDLs as in maildrop.ts. */
import type { Maildrop, MaildropEntry } from '../maildrop.js';
import type { Pop3Command } from '../parser.js';
import { noSuchMessage, ok } from '../replies.js';
import type { CommandHandler, Pop3Session } from '../state.js';

type Cmd<K extends Pop3Command['kind']> = Extract<Pop3Command, { kind: K }>;

function maildropOf(session: Pop3Session): Maildrop {
  if (session.state.phase !== 'transaction') throw new Error('maildrop used outside TRANSACTION');
  return session.state.maildrop;
}

export const stat: CommandHandler<Cmd<'STAT'>> = {
  phases: ['transaction'],
  async run(session) {
    const { count, octets } = maildropOf(session).stat();
    await session.conn.send(`+OK ${count} ${octets}\r\n`);
  },
};

/** LIST and UIDL share their shape: one message, or every message not marked deleted. */
function scanListing(field: (e: MaildropEntry) => string | number): CommandHandler<{ msg: number | null }> {
  return {
    phases: ['transaction'],
    async run(session, cmd) {
      const drop = maildropOf(session);
      if (cmd.msg !== null) {
        const e = drop.get(cmd.msg);
        return session.conn.send(e ? ok(`${cmd.msg} ${field(e)}`) : noSuchMessage());
      }
      const { count, octets } = drop.stat();
      let out = ok(`${count} messages (${octets} octets)`);
      for (const [n, e] of drop.live()) {
        out += `${n} ${field(e)}\r\n`;
        // Large maildrops: hand over in pieces rather than building one huge string.
        if (out.length > 32 * 1024) {
          await session.conn.send(out);
          out = '';
        }
      }
      await session.conn.send(out + '.\r\n');
    },
  };
}

export const list: CommandHandler<Cmd<'LIST'>> = scanListing((e) => e.size);
export const uidl: CommandHandler<Cmd<'UIDL'>> = scanListing((e) => e.uidl);
