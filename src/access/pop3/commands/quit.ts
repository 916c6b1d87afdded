/**
 * QUIT (RFC 1939 section 6): in TRANSACTION it enters UPDATE, removes the marked messages in one
 * store transaction, and only then answers. Before login it just says goodbye.
 *
 * For a user with `keepDeletedDays` > 0, "removes" means "moves to Trash" (VPOP3's
 * hold-instead-of-delete): the client sees them gone, and they can be got back (IMAP, or the
 * admin) until the purge (keep-deleted.ts) removes them that many days later.
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
    const keep = state.keepDeletedDays;
    try {
      const removed = keep > 0 ? await deps.maildrops.moveToTrash(state.maildrop.mailboxId, ids, Date.now()) : await deps.maildrops.expunge(state.maildrop.mailboxId, ids);
      const where = keep > 0 ? `moved to Trash for ${keep} days` : 'removed';
      log.info({ user: state.user, retrieved: state.retrieved, deleted: removed, marked: ids.length, keepDeletedDays: keep }, `session ended; deleted messages ${where}`);
      await conn.send(ok(keep > 0 ? `Bye (${removed} messages deleted, kept in Trash for ${keep} days)` : `Bye (${removed} messages deleted)`));
    } catch (e) {
      log.error({ err: e, user: state.user, marked: ids.length }, 'UPDATE failed; no message was deleted');
      await conn.send(err('Some deleted messages were not removed, nothing was lost; try again later', 'SYS/TEMP'));
    } finally {
      state.release();
      session.state = { phase: 'closed' };
    }
  },
};
