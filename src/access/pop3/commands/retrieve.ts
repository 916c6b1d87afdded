/**
 * RETR and TOP (RFC 1939 section 7): the stored file, read from disk in chunks through the wire encoder
 * (CRLF, dot-stuffing, termination: see wire.ts). Never loads a whole message.
 */
import type { FileHandle } from 'node:fs/promises';
import type { MaildropEntry } from '../maildrop.js';
import { parseCommand, type Pop3Command } from '../parser.js';
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
    openQueuedRetrs(session);
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

/** Starts opening the files of RETRs the client has already pipelined behind this one. */
function openQueuedRetrs(session: Pop3Session): void {
  if (session.state.phase !== 'transaction' || !session.conn.hasQueuedLine) return;
  const files: Array<{ path: string; size: number }> = [];
  for (const line of session.conn.queuedLines(8)) {
    const parsed = parseCommand(line);
    if (!parsed.ok || parsed.command.kind !== 'RETR') continue;
    const next = session.state.maildrop.get(parsed.command.msg);
    if (next) files.push({ path: session.deps.blobs.pathOf(next.blob), size: next.storedSize });
  }
  session.readAhead.prefetch(files);
}

/**
 * Reads the message file in chunks of at most CHUNK octets, each encoded and queued before the next
 * read, so memory stays bounded whatever the size. The file is opened before "+OK" so that a missing
 * file is an -ERR rather than a truncated reply. A file handle rather than a ReadStream: the size
 * is known, so a small message costs one open and one read (a stream adds an EOF read and several
 * event-loop turns), which is most of the cost of serving small mail.
 */
const CHUNK = 64 * 1024;

async function sendMessage(session: Pop3Session, entry: MaildropEntry, okText: string, limiter: TopLimiter | null): Promise<boolean> {
  const { conn, deps, log } = session;
  let file: FileHandle;
  let first: Buffer | null;
  try {
    ({ file, first } = await session.readAhead.take(deps.blobs.pathOf(entry.blob)));
  } catch (e) {
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'message file cannot be read');
    await conn.send(err('Cannot read this message now', 'SYS/TEMP'));
    return false;
  }
  await conn.send(ok(okText));
  const encoder = new WireEncoder();
  const parts: Buffer[] = [];
  try {
    let position = 0;
    while (position < entry.storedSize && !conn.closed) {
      // A fresh buffer per chunk: the encoder queues slices of it until the socket takes them.
      let chunk: Buffer;
      let bytesRead: number;
      if (position === 0 && first && first.length > 0) {
        chunk = first;
        bytesRead = first.length;
      } else {
        chunk = Buffer.allocUnsafe(Math.min(CHUNK, entry.storedSize - position));
        ({ bytesRead } = await file.read(chunk, 0, chunk.length, position));
      }
      if (bytesRead === 0) throw new Error(`message file is shorter than its recorded size ${entry.storedSize}`);
      position += bytesRead;
      const data = chunk.subarray(0, bytesRead);
      encoder.encode(limiter ? limiter.take(data) : data, parts);
      await conn.sendAll(parts);
      parts.length = 0;
      if (limiter?.finished) break;
    }
  } catch (e) {
    // Half a message was sent: the only honest thing left is to drop the connection (no UPDATE).
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'reading a message failed while sending it; closing the connection');
    conn.destroy();
    return false;
  } finally {
    file.close().catch((e: unknown) => log.warn({ err: e }, 'closing a message file failed'));
  }
  encoder.finish(parts);
  await conn.sendAll(parts);
  return true;
}
