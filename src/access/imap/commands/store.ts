/** STORE / UID STORE (RFC 3501 6.4.6) with FLAGS, +FLAGS, -FLAGS and .SILENT. */
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler } from '../state.js';
import { list } from '../wire.js';

type Cmd = Extract<ImapCommand, { name: 'STORE' }>;

export const store: CommandHandler<Cmd> = {
  states: ['selected'],
  expungeAllowed: false,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'selected') return;
    const selected = session.state.selected;
    if (selected.readOnly) return reply.no('Mailbox is read-only (EXAMINE)', 'READ-ONLY');
    if (!cmd.uid && selected.outOfRange(cmd.set)) return reply.bad('Message sequence number out of range');
    const targets = selected.resolve(cmd.set, cmd.uid);
    const updated = await session.deps.store.storeFlags(selected.mailbox.id, targets.map((t) => t.uid), cmd.mode, cmd.flags);
    if (updated.length) selected.announce();
    for (const u of updated) {
      const expected = applyFlags(selected.flags.get(u.uid) ?? [], cmd.mode, cmd.flags);
      selected.flags.set(u.uid, u.flags);
      // .SILENT: the client knows what it set (RFC 3501 6.4.6), unless another session changed
      // other flags meanwhile; UID STORE answers carry the UID.
      if (!cmd.silent || !sameFlags(expected, u.flags)) {
        await reply.untagged(`${selected.seqOf(u.uid)} FETCH (${cmd.uid ? `UID ${u.uid} ` : ''}FLAGS ${list(u.flags)})`);
      }
    }
    await reply.ok(`${cmd.uid ? 'UID ' : ''}STORE completed`);
  },
};

function applyFlags(current: string[], mode: 'replace' | 'add' | 'remove', flags: string[]): string[] {
  if (mode === 'replace') return [...new Set(flags)];
  if (mode === 'add') return [...new Set([...current, ...flags])];
  return current.filter((f) => !flags.includes(f));
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}
