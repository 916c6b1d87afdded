/** CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 6.3.3-7) and STATUS (6.3.10). */
import type { ImapMailboxOutcome } from '../../../store/interfaces.js';
import { mailboxFromClient } from '../mailbox-name.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler, Reply } from '../state.js';
import { mailboxName } from '../wire.js';

type Cmd<N extends ImapCommand['name']> = Extract<ImapCommand, { name: N }>;
const AUTHED = ['authenticated', 'selected'] as const;

function userOf(state: { kind: string; user?: string }): string {
  if (!state.user) throw new Error('not logged in');
  return state.user;
}

async function answer(reply: Reply, outcome: ImapMailboxOutcome, done: string): Promise<void> {
  if (outcome.ok) return reply.ok(done);
  switch (outcome.reason) {
    case 'nonexistent':
      return reply.no('No such mailbox', 'NONEXISTENT');
    case 'exists':
      return reply.no('Mailbox already exists', 'ALREADYEXISTS');
    case 'haschildren':
      return reply.no('Mailbox has folders below it; delete those first', 'HASCHILDREN');
    case 'cannot':
      return reply.no('The standard folders (INBOX, Sent, Drafts, Trash, Junk, Possible duplicates) cannot be removed or renamed', 'CANNOT');
  }
}

export const create: CommandHandler<Cmd<'CREATE'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'CANNOT');
    await answer(reply, await session.deps.store.create(userOf(session.state), m.name), 'CREATE completed');
  },
};

export const deleteMailbox: CommandHandler<Cmd<'DELETE'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'NONEXISTENT');
    if (session.state.kind === 'selected' && session.state.selected.mailbox.name === m.name) {
      return reply.no('Cannot delete the selected mailbox; CLOSE it first', 'INUSE');
    }
    const box = await session.deps.store.get(userOf(session.state), m.name);
    const outcome = await session.deps.store.delete(userOf(session.state), m.name);
    if (outcome.ok && box) session.deps.events.changed(box.id);
    await answer(reply, outcome, 'DELETE completed');
  },
};

export const rename: CommandHandler<Cmd<'RENAME'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const from = mailboxFromClient(cmd.from);
    const to = mailboxFromClient(cmd.to);
    if ('error' in from) return reply.no(from.error, 'NONEXISTENT');
    if ('error' in to) return reply.no(to.error, 'CANNOT');
    await answer(reply, await session.deps.store.rename(userOf(session.state), from.name, to.name), 'RENAME completed');
  },
};

export const subscribe: CommandHandler<Cmd<'SUBSCRIBE'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'NONEXISTENT');
    await answer(reply, await session.deps.store.setSubscribed(userOf(session.state), m.name, true), 'SUBSCRIBE completed');
  },
};

/** Unsubscribing a name that does not exist (any more) is fine: the client is cleaning up. */
export const unsubscribe: CommandHandler<Cmd<'UNSUBSCRIBE'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.ok('UNSUBSCRIBE completed');
    await session.deps.store.setSubscribed(userOf(session.state), m.name, false);
    await reply.ok('UNSUBSCRIBE completed');
  },
};

export const status: CommandHandler<Cmd<'STATUS'>> = {
  states: AUTHED,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'NONEXISTENT');
    const box = await session.deps.store.get(userOf(session.state), m.name);
    if (!box) return reply.no('No such mailbox', 'NONEXISTENT');
    const counts = await session.deps.store.counts(box.id);
    const values: Record<string, number> = {
      MESSAGES: counts.messages,
      RECENT: 0,
      UIDNEXT: box.uidNext,
      UIDVALIDITY: box.uidValidity,
      UNSEEN: counts.unseen,
      SIZE: counts.size,
    };
    await reply.untagged(`STATUS ${mailboxName(box.name)} (${cmd.items.map((i) => `${i} ${values[i]}`).join(' ')})`);
    await reply.ok('STATUS completed');
  },
};
