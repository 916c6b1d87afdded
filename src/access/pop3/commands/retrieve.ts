/**
 * RETR and TOP (RFC 1939 section 7): the stored file, streamed from disk through the wire encoder
 * (CRLF, dot-stuffing, termination: see wire.ts). Never loads a whole message.
 */
import type { ReadStream } from 'node:fs';
import type { MaildropEntry } from '../maildrop.js';
import type { Pop3Command } from '../parser.js';
import { err, noSuchMessage, ok } from '../replies.js';
import type { CommandHandler, Pop3Session } from '../state.js';
import { TopLimiter, WireEncoder } from '../wire.js';

type Cmd<K extends Pop3Command['kind']> = Extract<Pop3Command, { kind: K }>;

export const retr: CommandHandler<Cmd<'RETR'>> = {
  phases: ['transaction'],
  async run(session, cmd) {
    if (session.state.phase !== 'transaction') return;
    const entry = session.state.maildrop.get(cmd.msg);
    if (!entry) return session.conn.send(noSuchMessage());
    if (await sendMessage(session, entry, `${entry.size} octets`, null)) session.state.retrieved++;
  },
};

export const top: CommandHandler<Cmd<'TOP'>> = {
  phases: ['transaction'],
  async run(session, cmd) {
    if (session.state.phase !== 'transaction') return;
    const entry = session.state.maildrop.get(cmd.msg);
    if (!entry) return session.conn.send(noSuchMessage());
    await sendMessage(session, entry, 'top of message follows', new TopLimiter(cmd.lines));
  },
};

/** Opens the file first, so a missing file is an -ERR and not a truncated "+OK". */
async function sendMessage(session: Pop3Session, entry: MaildropEntry, okText: string, limiter: TopLimiter | null): Promise<boolean> {
  const { conn, deps, log } = session;
  const stream = deps.blobs.read(entry.blob);
  try {
    await opened(stream);
  } catch (e) {
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'message file cannot be read');
    await conn.send(err('Cannot read this message now', 'SYS/TEMP'));
    return false;
  }
  await conn.send(ok(okText));
  const encoder = new WireEncoder();
  const parts: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      encoder.encode(limiter ? limiter.take(chunk) : chunk, parts);
      await conn.sendAll(parts);
      parts.length = 0;
      if (limiter?.finished || conn.closed) break;
    }
  } catch (e) {
    // Half a message was sent: the only honest thing left is to drop the connection (no UPDATE).
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'reading a message failed while sending it; closing the connection');
    conn.destroy();
    return false;
  } finally {
    stream.destroy();
  }
  encoder.finish(parts);
  await conn.sendAll(parts);
  return true;
}

function opened(stream: ReadStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('ready', () => {
      stream.off('error', reject);
      resolve();
    });
    stream.once('error', reject);
  });
}
