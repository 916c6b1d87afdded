/** SELECT / EXAMINE (RFC 3501 6.3.1-2), CLOSE (6.4.2), UNSELECT (RFC 3691). */
import { mailboxFromClient } from '../mailbox-name.js';
import type { ImapCommand } from '../parser/types.js';
import { SelectedMailbox } from '../selected.js';
import type { CommandHandler, ImapSession } from '../state.js';

type Cmd<N extends ImapCommand['name']> = Extract<ImapCommand, { name: N }>;

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** Leaves the selected mailbox (if any) without expunging. */
function deselect(session: ImapSession): void {
  if (session.state.kind !== 'selected') return;
  session.state.selected.close();
  session.state = { kind: 'authenticated', user: session.state.user };
}

export const select: CommandHandler<Cmd<'SELECT' | 'EXAMINE'>> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind === 'not-authenticated' || session.state.kind === 'logout') return;
    const user = session.state.user;
    // RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected.
    deselect(session);
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'NONEXISTENT');
    const box = await session.deps.store.get(user, m.name);
    if (!box) return reply.no('No such mailbox', 'NONEXISTENT');
    const readOnly = cmd.name === 'EXAMINE';
    const selected = new SelectedMailbox(box, readOnly, session.deps.store, session.deps.events);
    await selected.load();
    const keywords = new Set<string>();
    for (const flags of selected.flags.values()) for (const f of flags) if (!f.startsWith('\\')) keywords.add(f);
    const flags = [...SYSTEM_FLAGS, ...keywords].join(' ');
    await reply.untagged(`FLAGS (${flags})`);
    await reply.untagged(`OK [PERMANENTFLAGS (${readOnly ? '' : `${flags} \\*`})] Flags you can change`);
    await reply.untagged(`${selected.exists} EXISTS`);
    await reply.untagged('0 RECENT');
    const firstUnseen = selected.uids.findIndex((u) => !selected.flags.get(u)?.includes('\\Seen'));
    if (firstUnseen >= 0) await reply.untagged(`OK [UNSEEN ${firstUnseen + 1}] First unseen message`);
    await reply.untagged(`OK [UIDVALIDITY ${box.uidValidity}] UIDs valid`);
    await reply.untagged(`OK [UIDNEXT ${selected.uidNext}] Predicted next UID`);
    session.state = { kind: 'selected', user, selected };
    await reply.ok(`${cmd.name} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
  },
};

/** CLOSE removes \Deleted messages silently (no EXPUNGE responses), unless read-only. */
export const close: CommandHandler<Cmd<'CLOSE'>> = {
  states: ['selected'],
  expungeAllowed: false,
  async run(session, _cmd, reply) {
    if (session.state.kind !== 'selected') return;
    const selected = session.state.selected;
    if (!selected.readOnly) {
      const removed = await session.deps.store.expunge(selected.mailbox.id);
      if (removed.length) selected.announce();
    }
    deselect(session);
    await reply.ok('CLOSE completed');
  },
};

export const unselect: CommandHandler<Cmd<'UNSELECT'>> = {
  states: ['selected'],
  expungeAllowed: false,
  async run(session, _cmd, reply) {
    deselect(session);
    await reply.ok('UNSELECT completed');
  },
};
