/** EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315 2.1): the EXPUNGE responses come from the sync before OK. */
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler } from '../state.js';

type Cmd = Extract<ImapCommand, { name: 'EXPUNGE' }>;

export const expunge: CommandHandler<Cmd> = {
  states: ['selected'],
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'selected') return;
    const selected = session.state.selected;
    if (selected.readOnly) return reply.no('Mailbox is read-only (EXAMINE)', 'READ-ONLY');
    const uids = cmd.set ? selected.resolve(cmd.set, true).map((t) => t.uid) : undefined;
    if (uids && uids.length === 0) return reply.ok('UID EXPUNGE completed, nothing to do');
    const removed = await session.deps.store.expunge(selected.mailbox.id, uids);
    if (removed.length) selected.announce();
    await reply.ok(`${cmd.uid ? 'UID ' : ''}EXPUNGE completed`);
  },
};
