/**
 * LIST and LSUB (RFC 3501 6.3.8-9) with CHILDREN (RFC 3348) and SPECIAL-USE (RFC 6154) attributes,
 * and the LIST options those clients send (RFC 5258: SUBSCRIBED, SPECIAL-USE; RETURN SUBSCRIBED).
 */
import type { ImapMailbox } from '../../../store/interfaces.js';
import { DELIMITER, patternToRegExp } from '../mailbox-name.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler, ImapSession } from '../state.js';
import { mailboxName } from '../wire.js';

type Cmd<N extends ImapCommand['name']> = Extract<ImapCommand, { name: N }>;

interface Entry {
  name: string;
  box: ImapMailbox | null;
  hasChildren: boolean;
}

/** Every folder, plus the missing parents of nested ones (listed as \Noselect). */
async function entries(session: ImapSession, user: string): Promise<Entry[]> {
  const boxes = await session.deps.store.list(user);
  const byName = new Map<string, Entry>();
  for (const b of boxes) byName.set(b.name, { name: b.name, box: b, hasChildren: false });
  for (const b of boxes) {
    const levels = b.name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(DELIMITER);
      const e = byName.get(parent) ?? { name: parent, box: null, hasChildren: true };
      e.hasChildren = true;
      byName.set(parent, e);
    }
  }
  return [...byName.values()];
}

function attributes(e: Entry, subscribed: boolean): string {
  const attrs = [e.hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
  if (!e.box) attrs.unshift('\\Noselect');
  if (e.box?.specialUse) attrs.push(e.box.specialUse);
  if (subscribed && e.box?.subscribed) attrs.push('\\Subscribed');
  return `(${attrs.join(' ')})`;
}

export const list: CommandHandler<Cmd<'LIST'>> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'authenticated' && session.state.kind !== 'selected') return;
    if (cmd.patterns.length === 1 && cmd.patterns[0] === '') {
      // RFC 3501: an empty pattern asks for the delimiter and the root.
      await reply.untagged(`LIST (\\Noselect) "${DELIMITER}" ""`);
      return reply.ok('LIST completed');
    }
    const onlySubscribed = cmd.selectOptions.includes('SUBSCRIBED');
    const onlySpecial = cmd.selectOptions.includes('SPECIAL-USE');
    const showSubscribed = onlySubscribed || cmd.returnOptions.includes('SUBSCRIBED');
    const patterns = cmd.patterns.map((p) => patternToRegExp(cmd.reference, p));
    for (const e of await entries(session, session.state.user)) {
      if (!patterns.some((re) => re.test(e.name))) continue;
      if (onlySubscribed && !e.box?.subscribed) continue;
      if (onlySpecial && !e.box?.specialUse) continue;
      await reply.untagged(`LIST ${attributes(e, showSubscribed)} "${DELIMITER}" ${mailboxName(e.name)}`);
    }
    await reply.ok('LIST completed');
  },
};

export const lsub: CommandHandler<Cmd<'LSUB'>> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'authenticated' && session.state.kind !== 'selected') return;
    const re = patternToRegExp(cmd.reference, cmd.pattern);
    for (const e of await entries(session, session.state.user)) {
      if (!e.box?.subscribed || !re.test(e.name)) continue;
      await reply.untagged(`LSUB ${attributes(e, false)} "${DELIMITER}" ${mailboxName(e.name)}`);
    }
    await reply.ok('LSUB completed');
  },
};
