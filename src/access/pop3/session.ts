/**
 * One POP3 session over one connection: greet, then read a command, dispatch it through the table,
 * repeat, until QUIT or the connection ends. Pipelined commands run strictly in order.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { commands } from './commands/index.js';
import { LineTooLongError, Pop3Connection } from './connection.js';
import { MAX_AUTH_LINE, parseCommand, type Pop3Command } from './parser.js';
import { ReadAhead } from './read-ahead.js';
import { FirstFetches } from '../shared/first-fetches.js';
import { err, ok } from './replies.js';
import type { CommandHandler, Pop3Deps, Pop3Session } from './state.js';

export async function runSession(socket: Socket, implicitTls: boolean, deps: Pop3Deps): Promise<void> {
  const conn = new Pop3Connection(socket, implicitTls, MAX_AUTH_LINE);
  const id = randomBytes(6).toString('hex');
  const log = deps.log.child({ session: id, remote: conn.remoteAddress, tls: implicitTls });
  const session: Pop3Session = { id, conn, deps, log, readAhead: new ReadAhead(), fetches: new FirstFetches(deps.trace, 'pop3', conn.remoteAddress, log), state: { phase: 'authorization', pendingUser: null } };

  let idle: NodeJS.Timeout | undefined;
  // One timer, refreshed per command: cheaper than a new one for each of thousands of RETRs.
  const armIdleTimer = () => {
    if (idle) return void idle.refresh();
    idle = setTimeout(() => {
      log.info({ phase: session.state.phase }, 'idle timeout; closing without UPDATE');
      conn.send(err('Idle for too long, closing')).then(() => conn.flush()).finally(() => conn.destroy());
    }, deps.idleTimeoutMs);
  };

  log.debug('connected');
  try {
    // No APOP timestamp in the greeting: see commands/authorization.ts.
    await conn.send(ok('Postroom POP3 server ready'));
    armIdleTimer();
    while (session.state.phase !== 'closed') {
      let line: string | null;
      try {
        line = await conn.readLine();
      } catch (e) {
        if (!(e instanceof LineTooLongError)) throw e;
        await conn.send(err('Command line too long'));
        continue;
      }
      if (line === null) break;
      armIdleTimer();
      const parsed = parseCommand(line);
      if (!parsed.ok) {
        await conn.send(err(parsed.error));
        continue;
      }
      const handler = commands[parsed.command.kind] as CommandHandler<Pop3Command>;
      if (!handler.phases.includes(session.state.phase)) {
        await conn.send(err(session.state.phase === 'authorization' ? 'Log in first' : 'Command not valid in this state'));
        continue;
      }
      await handler.run(session, parsed.command);
    }
  } catch (e) {
    log.error({ err: e }, 'session failed');
  } finally {
    clearTimeout(idle);
    const state = session.state;
    if (state.phase === 'transaction') {
      // Dropped, timed out or failed before QUIT: RFC 1939 section 6, no UPDATE, nothing deleted.
      state.release();
      log.info({ user: state.user, retrieved: state.retrieved, marked: state.maildrop.markedIds().length }, 'connection ended without QUIT; nothing deleted');
    }
    session.state = { phase: 'closed' };
    await session.readAhead.dispose();
    await conn.close();
    // After the close: the client never waits for this write.
    await session.fetches.flush();
  }
}
