/**
 * RETR and TOP (RFC 1939 section 7): the stored file, read from disk in chunks through the wire encoder
 * (CRLF, dot-stuffing, termination: see wire.ts). Never loads more than a chunk of a message.
 */
import { closeQuietly } from '../files.js';
import type { MaildropEntry } from '../maildrop.js';
import { parseCommand, type Pop3Command } from '../parser.js';
import { giveBack, type MessageFile } from '../read-ahead.js';
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
    // When reading ahead (read-ahead.ts): this message's file first, then those of the RETRs queued
    // behind it; the thread pool serves requests in order, and this is the one the client waits for.
    session.readAhead.prefetch(session.deps.blobs.locate(entry.blob), entry.storedSize);
    readQueuedRetrs(session);
    if (await sendMessage(session, entry, `${entry.size} octets`, null)) {
      session.state.retrieved++;
      session.fetches.note(session.state.user, entry.blob);
    }
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

/**
 * Starts reading the files of RETRs the client has already pipelined behind this one. Lines are
 * parsed once: `readAhead.nextLine` remembers how far the queue was looked at (it stops where the
 * read-ahead is full, to resume at the next RETR).
 */
function readQueuedRetrs(session: Pop3Session): void {
  const { conn, readAhead, state } = session;
  if (state.phase !== 'transaction' || !conn.hasQueuedLine || !readAhead.readsAhead) return;
  let n = Math.max(readAhead.nextLine, conn.nextLineNumber);
  for (const line of conn.queuedLines(n, READ_AHEAD_SCAN)) {
    if (readAhead.full) break;
    n++;
    const parsed = parseCommand(line);
    if (!parsed.ok || parsed.command.kind !== 'RETR') continue;
    const next = state.maildrop.get(parsed.command.msg);
    if (next) readAhead.prefetch(session.deps.blobs.locate(next.blob), next.storedSize);
  }
  readAhead.nextLine = n;
}

/** Queued lines looked at per RETR: enough for a window of 16 RETRs with other commands between. */
const READ_AHEAD_SCAN = 32;

/**
 * Sends the message: its first chunk (usually the whole message), then the rest from disk in
 * chunks read into the connection's read space (behind its output block: output.ts), each encoded
 * (copied into the output) and paced before the next read, so memory stays bounded whatever the size. The file is read before
 * "+OK" so that a missing or unreadable file is an -ERR rather than a truncated reply.
 */
async function sendMessage(session: Pop3Session, entry: MaildropEntry, okText: string, limiter: TopLimiter | null): Promise<boolean> {
  const { conn, deps, log } = session;
  let file: MessageFile;
  try {
    file = await session.readAhead.take(deps.blobs.locate(entry.blob), entry.storedSize, conn.readSpace());
  } catch (e) {
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'message file cannot be read');
    await conn.send(err('Cannot read this message now', 'SYS/TEMP'));
    return false;
  }
  await conn.send(ok(okText));
  const encoder = new WireEncoder();
  try {
    let position = 0;
    let data = file.buffer.subarray(0, file.length);
    while (position < entry.storedSize && !conn.closed) {
      if (position > 0) {
        // file.fd is open here: openMessage keeps it whenever the first chunk is not the whole file.
        const space = conn.readSpace();
        data = space.subarray(0, await session.readAhead.readMore(file, space.subarray(0, Math.min(space.length, entry.storedSize - position)), position));
      }
      if (data.length === 0) throw new Error(`message file is shorter than its recorded size ${entry.storedSize}`);
      position += data.length;
      encoder.encode(limiter ? limiter.take(data) : data, conn.sink);
      await conn.pace();
      if (limiter?.finished) break;
    }
  } catch (e) {
    // Half a message was sent: the only honest thing left is to drop the connection (no UPDATE).
    log.error({ err: e, blob: entry.blob, message: entry.id }, 'reading a message failed while sending it; closing the connection');
    conn.destroy();
    return false;
  } finally {
    if (file.fd !== null) closeQuietly(file.fd);
    if (file.borrowed) giveBack(file.buffer);
  }
  encoder.finish(conn.sink);
  await conn.pace();
  return true;
}
