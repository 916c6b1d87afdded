/**
 * IDLE (RFC 2177): "+ idling", then untagged updates as they happen (EXPUNGE included) until the
 * client sends DONE. Other sessions' changes wake us at once; mail delivered by the pipeline (maybe
 * another process) is found by looking at the store's stamp every `idlePollMs`.
 */
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler } from '../state.js';

type Cmd = Extract<ImapCommand, { name: 'IDLE' }>;

export const idle: CommandHandler<Cmd> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(session, _cmd, reply) {
    const { conn, deps } = session;
    await reply.raw('+ idling\r\n');
    for (;;) {
      if (session.state.kind === 'selected') {
        for (const line of await session.state.selected.sync(true)) await conn.send(line);
      }
      await conn.flush();
      const line = conn.takeLine();
      if (line !== null) {
        if (line.toString('latin1').trim().toUpperCase() === 'DONE') return reply.ok('IDLE terminated');
        return reply.bad('Expected DONE to end IDLE');
      }
      if (conn.closed) return;
      const waits: Array<Promise<void>> = [conn.dataAvailable()];
      if (session.state.kind === 'selected') waits.push(session.state.selected.waitForNotice(deps.idlePollMs));
      else waits.push(new Promise((r) => setTimeout(r, deps.idlePollMs)));
      await Promise.race(waits);
    }
  },
};
