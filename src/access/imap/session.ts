/**
 * One IMAP session over one connection: greet, then frame a command, parse it, check it is valid
 * in the current state, run its handler, repeat until LOGOUT or the connection ends.
 *
 * Untagged updates about the selected mailbox (EXISTS, EXPUNGE, FETCH FLAGS) are sent just before a
 * command's tagged OK/NO, EXPUNGE only for commands that allow it (see SelectedMailbox.sync).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { AppendedMessage, isAppendMessageLiteral } from './append-sink.js';
import { capabilities } from './capabilities.js';
import { FirstFetches } from '../shared/first-fetches.js';
import { handlers } from './commands/index.js';
import { ImapConnection, type FramingHooks, type LiteralDecision } from './connection.js';
import type { StreamedLiteral } from './parser/cursor.js';
import { parseCommand } from './parser/command.js';
import type { ImapCommand } from './parser/types.js';
import type { CommandHandler, ImapDeps, ImapSession, Reply } from './state.js';

export async function runSession(socket: Socket, implicitTls: boolean, deps: ImapDeps): Promise<void> {
  const conn = new ImapConnection(socket, implicitTls, deps.limits.maxCommand);
  const id = randomBytes(6).toString('hex');
  const log = deps.log.child({ session: id, remote: conn.remoteAddress });
  const session: ImapSession = {
    id,
    conn,
    deps,
    log,
    state: { kind: 'not-authenticated' },
    enabled: new Set(),
    fetches: new FirstFetches(deps.trace, 'imap', conn.remoteAddress, log),
  };
  let streamed: AppendedMessage[] = [];
  const hooks: FramingHooks = {
    async literal(prefix, size, synchronizing): Promise<LiteralDecision> {
      const tag = /^[^ ]+/.exec(prefix.toString('latin1'))?.[0] ?? '*';
      if (isAppendMessageLiteral(prefix) && session.state.kind !== 'not-authenticated') {
        if (size > deps.limits.maxAppend) return { kind: 'refuse', response: `${tag} ${synchronizing ? 'NO' : 'BAD'} [TOOBIG] Message larger than ${deps.limits.maxAppend} octets\r\n` };
        const sink = await AppendedMessage.open(deps.blobs);
        streamed.push(sink);
        return { kind: 'stream', sink };
      }
      if (size > deps.limits.maxCommand) return { kind: 'refuse', response: `${tag} BAD [TOOBIG] Literal too large\r\n` };
      return { kind: 'keep' };
    },
  };

  let timer: NodeJS.Timeout | undefined;
  const armTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      session.log.info('autologout after inactivity');
      conn.send('* BYE Autologout; idle for too long\r\n').then(() => conn.flush()).finally(() => conn.destroy());
    }, deps.idleTimeoutMs);
  };

  session.log.debug('connected');
  try {
    await conn.send(`* OK [CAPABILITY ${capabilities(session)}] Postroom IMAP ready\r\n`);
    armTimer();
    while (session.state.kind !== 'logout') {
      const framed = await conn.readCommand(hooks);
      armTimer();
      if (framed.kind === 'closed') break;
      if (framed.kind === 'refused') continue;
      if (framed.kind === 'fatal') {
        await conn.send(`${framed.tag ?? '*'} BAD ${framed.text}\r\n* BYE ${framed.text}\r\n`);
        break;
      }
      const literals = new Map<number, StreamedLiteral>(framed.streamedAt.map((at, i) => [at, streamed[i]!]));
      try {
        await execute(session, framed.buf, literals);
      } finally {
        // Whatever the command did not keep is dropped (a failed APPEND leaves no file behind).
        for (const s of streamed) await s.abort();
        streamed = [];
      }
    }
  } catch (e) {
    session.log.error({ err: e }, 'session failed');
  } finally {
    clearTimeout(timer);
    for (const s of streamed) await s.abort().catch(() => undefined);
    if (session.state.kind === 'selected') session.state.selected.close();
    session.state = { kind: 'logout' };
    await conn.close();
    // After the close: the client never waits for this write.
    await session.fetches.flush();
  }
}

async function execute(session: ImapSession, buf: Buffer, literals: Map<number, StreamedLiteral>): Promise<void> {
  const { conn } = session;
  const parsed = parseCommand(buf, literals);
  if (!parsed.ok) {
    await conn.send(`${parsed.tag ?? '*'} BAD ${parsed.text}\r\n`);
    return;
  }
  const { tag, command } = parsed;
  const handler = handlers[command.name] as CommandHandler<ImapCommand>;
  if (!handler.states.includes(session.state.kind)) {
    const why =
      session.state.kind === 'not-authenticated' ? 'Log in first' : handler.states.includes('not-authenticated') ? 'Already logged in' : 'Select a mailbox first';
    await conn.send(`${tag} BAD ${command.name}: ${why}\r\n`);
    return;
  }
  const reply = makeReply(session, tag, handler.expungeAllowed);
  try {
    await handler.run(session, command, reply);
  } catch (e) {
    session.log.error({ err: e, command: command.name }, 'command failed');
    await conn.send(`${tag} NO [SERVERBUG] ${command.name} failed on our side; try again later\r\n`);
  }
}

function makeReply(session: ImapSession, tag: string, expungeAllowed: boolean): Reply {
  const { conn } = session;
  const code = (c?: string) => (c ? `[${c}] ` : '');
  const updates = async () => {
    if (session.state.kind !== 'selected') return;
    for (const line of await session.state.selected.sync(expungeAllowed)) await conn.send(line);
  };
  return {
    tag,
    untagged: (text) => conn.send(`* ${text}\r\n`),
    raw: (data) => conn.send(data),
    async ok(text, c) {
      await updates();
      await conn.send(`${tag} OK ${code(c)}${text}\r\n`);
    },
    async no(text, c) {
      await updates();
      await conn.send(`${tag} NO ${code(c)}${text}\r\n`);
    },
    bad: (text, c) => conn.send(`${tag} BAD ${code(c)}${text}\r\n`),
  };
}
