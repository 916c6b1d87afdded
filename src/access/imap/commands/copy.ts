/**
 * COPY / UID COPY (RFC 3501 6.4.7) and MOVE / UID MOVE (RFC 6851), answering COPYUID (UIDPLUS,
 * RFC 4315). MOVE sends COPYUID untagged, then the EXPUNGEs, then the tagged OK.
 */
import { mailboxFromClient } from '../mailbox-name.js';
import { formatSequenceSet } from '../parser/sequence.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler } from '../state.js';

type Cmd = Extract<ImapCommand, { name: 'COPY' | 'MOVE' }>;

export const copy: CommandHandler<Cmd> = {
  states: ['selected'],
  // MOVE's own removals are reported before its OK (RFC 6851 3.3).
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'selected') return;
    const { selected, user } = session.state;
    const move = cmd.name === 'MOVE';
    if (move && selected.readOnly) return reply.no('Mailbox is read-only (EXAMINE)', 'READ-ONLY');
    if (!cmd.uid && selected.outOfRange(cmd.set)) return reply.bad('Message sequence number out of range');
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'TRYCREATE');
    const target = await session.deps.store.get(user, m.name);
    if (!target) return reply.no('No such mailbox', 'TRYCREATE');
    const uids = selected.resolve(cmd.set, cmd.uid).map((t) => t.uid);
    if (uids.length === 0) return reply.ok(`${cmd.name} completed, nothing to do`);
    const result = move && target.id !== selected.mailbox.id
      ? await session.deps.store.move(selected.mailbox.id, uids, target.id)
      : await session.deps.store.copy(selected.mailbox.id, uids, target.id);
    session.deps.events.changed(target.id);
    const code = result.pairs.length
      ? `COPYUID ${result.uidValidity} ${formatSequenceSet(result.pairs.map((p) => p[0]))} ${formatSequenceSet(result.pairs.map((p) => p[1]))}`
      : undefined;
    if (move) {
      selected.announce();
      if (code) await reply.untagged(`OK [${code}] Moved`);
      return reply.ok('MOVE completed');
    }
    await reply.ok('COPY completed', code);
  },
};
