/** CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342), CHECK. */
import { capabilities } from '../capabilities.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler } from '../state.js';
import { str } from '../wire.js';

type Cmd<N extends ImapCommand['name']> = Extract<ImapCommand, { name: N }>;
const ANY = ['not-authenticated', 'authenticated', 'selected'] as const;

export const capability: CommandHandler<Cmd<'CAPABILITY'>> = {
  states: ANY,
  expungeAllowed: true,
  async run(session, _cmd, reply) {
    await reply.untagged(`CAPABILITY ${capabilities(session)}`);
    await reply.ok('CAPABILITY completed');
  },
};

/** NOOP and CHECK: nothing to do but report what changed (RFC 3501 6.1.2, 6.4.1). */
export const noop: CommandHandler<Cmd<'NOOP'>> = {
  states: ANY,
  expungeAllowed: true,
  run: (_s, cmd, reply) => reply.ok(`${cmd.name} completed`),
};

export const check: CommandHandler<Cmd<'CHECK'>> = {
  states: ['selected'],
  expungeAllowed: true,
  run: (_s, _cmd, reply) => reply.ok('CHECK completed'),
};

export const logout: CommandHandler<Cmd<'LOGOUT'>> = {
  states: ANY,
  expungeAllowed: false,
  async run(session, _cmd, reply) {
    await reply.untagged('BYE Postroom logging out');
    if (session.state.kind === 'selected') session.state.selected.close();
    session.state = { kind: 'logout' };
    await reply.ok('LOGOUT completed');
  },
};

export const id: CommandHandler<Cmd<'ID'>> = {
  states: ANY,
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (cmd.params) session.log.info({ client: Object.fromEntries(cmd.params) }, 'client identified itself');
    await reply.untagged(`ID (${str('name')} ${str('Postroom')} ${str('vendor')} ${str('Postroom')})`);
    await reply.ok('ID completed');
  },
};

/** No extension of ours needs enabling yet (CONDSTORE would): the list of enabled ones is empty. */
export const enable: CommandHandler<Cmd<'ENABLE'>> = {
  states: ['authenticated'],
  expungeAllowed: true,
  async run(_session, _cmd, reply) {
    await reply.untagged('ENABLED');
    await reply.ok('ENABLE completed');
  },
};

export const namespace: CommandHandler<Cmd<'NAMESPACE'>> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(_session, _cmd, reply) {
    await reply.untagged('NAMESPACE (("" "/")) NIL NIL');
    await reply.ok('NAMESPACE completed');
  },
};
