/**
 * QUIT (RFC 1939 section 6): in TRANSACTION it enters UPDATE, removes the marked messages in one
 * store transaction, and only then answers. Before login it just says goodbye.
 */
import type { Pop3Command } from '../parser.js';
import { err, ok } from '../replies.js';
import type { CommandHandler } from '../state.js';

export const quit: CommandHandler<Extract<Pop3Command, { kind: 'QUIT' }>> = {
  phases: ['authorization', 'transaction'],
  async run(session) {
    const { conn, deps, log } = session;
    const state = session.state;
    if (state.phase !== 'transaction') {
      session.state = { phase: 'closed' };
      return conn.send(ok('Bye'));
    }
    session.state = { phase: 'update' };
    const ids = state.maildrop.markedIds();
    try {
      const removed = await deps.maildrops.expunge(state.maildrop.mailboxId, ids);
      log.info({ user: state.user, retrieved: state.retrieved, deleted: removed, marked: ids.length }, 'session ended; deleted messages removed');
      await conn.send(ok(`Bye (${removed} messages deleted)`));
    } catch (e) {
      log.error({ err: e, user: state.user, marked: ids.length }, 'UPDATE failed; no message was deleted');
      await conn.send(err('Some deleted messages were not removed, nothing was lost; try again later', 'SYS/TEMP'));
    } finally {
      state.release();
      session.state = { phase: 'closed' };
    }
  },
};
