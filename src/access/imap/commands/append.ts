/**
 * APPEND (RFC 3501 6.3.11) with APPENDUID (RFC 4315). The message literal was streamed to the blob
 * store while it arrived (append-sink.ts); here it is committed and filed directly into the folder,
 * without the delivery pipeline: no routing, no dedupe (the user is filing their own mail).
 */
import { contentFingerprint, messageIdOf } from '../../../pipeline/fingerprint.js';
import { decodeForDisplay, first, parseHeaderBlock } from '../../../pipeline/header-fields.js';
import { AppendedMessage } from '../append-sink.js';
import { mailboxFromClient } from '../mailbox-name.js';
import type { ImapCommand } from '../parser/types.js';
import type { CommandHandler, ImapSession } from '../state.js';

type Cmd = Extract<ImapCommand, { name: 'APPEND' }>;

export const append: CommandHandler<Cmd> = {
  states: ['authenticated', 'selected'],
  expungeAllowed: true,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'authenticated' && session.state.kind !== 'selected') return;
    const m = mailboxFromClient(cmd.mailbox);
    if ('error' in m) return reply.no(m.error, 'TRYCREATE');
    const box = await session.deps.store.get(session.state.user, m.name);
    if (!box) return reply.no('No such mailbox', 'TRYCREATE');
    const message = cmd.message instanceof AppendedMessage ? cmd.message : await bufferedToBlob(session, cmd.message as Buffer);
    const blob = await message.commit();
    const header = parseHeaderBlock(message.scan.header);
    const { uidValidity, uid } = await session.deps.store.append(box.id, {
      blob,
      size: message.size,
      wireSize: message.wireSize,
      internalDate: cmd.date ? cmd.date.getTime() : Date.now(),
      flags: cmd.flags,
      messageId: messageIdOf(header),
      subject: decodeForDisplay(first(header, 'subject')),
      from: decodeForDisplay(first(header, 'from')),
      fingerprint: contentFingerprint(header, message.scan.bodyHash),
      origin: `${session.state.user} from ${session.conn.remoteAddress}`,
    });
    session.deps.events.changed(box.id);
    session.log.info({ mailbox: box.name, uid, size: message.size }, 'appended');
    await reply.ok('APPEND completed', `APPENDUID ${uidValidity} ${uid}`);
  },
};

/** A small message sent before login or inside a command the framer kept whole: store it the same way. */
async function bufferedToBlob(session: ImapSession, data: Buffer): Promise<AppendedMessage> {
  const sink = await AppendedMessage.open(session.deps.blobs);
  await sink.write(data);
  sink.end();
  return sink;
}

