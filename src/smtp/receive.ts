/**
 * DATA: the message is streamed straight into the spool (never held in memory), the 250 goes out
 * as soon as `pipeline.accept` has made it durable, and delivery runs in the background (the spool
 * runner retries it after a crash). On submission, a resend of a message already accepted is
 * answered 250 and dropped (resend.ts).
 */
import { pipeline as pipe } from 'node:stream';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { MailError } from '../errors.js';
import type { Source } from '../store/interfaces.js';
import type { SmtpDeps } from './deps.js';
import type { Door } from './policy.js';
import { refusal } from './replies.js';
import { claimSpooledSubmission, ContentHasher, MessageTooLargeError } from './resend.js';

/** Receives one message; resolves to the text of the 250 reply, or throws the refusal. */
export async function receiveMessage(deps: SmtpDeps, door: Door, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const { ctx } = deps;
  const settings = deps.settings();
  const user = typeof session.user === 'string' ? session.user : undefined;
  const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const recipients = session.envelope.rcptTo.map((r) => r.address);
  const log = deps.log.child({ session: session.id, remote: session.remoteAddress, ...(user ? { user } : {}) });

  const hasher = new ContentHasher(settings.smtp.maxMessageBytes);
  // pipeline(): a client that disconnects mid-DATA destroys the stream, which fails accept().
  pipe(stream, hasher, () => undefined);
  const source: Source = {
    kind: door === 'smtp' ? 'smtp' : 'submission',
    name: `${session.hostNameAppearsAs || 'unknown'} [${session.remoteAddress}]`,
    detail: { session: session.id, tls: session.secure, ...(user ? { user } : {}) },
    envelopeFrom: sender,
  };
  let spoolId: number;
  try {
    spoolId = await ctx.pipeline.accept({ source, routing: { mode: 'envelope', recipients }, content: hasher });
  } catch (err) {
    if (hasher.exceeded || (err instanceof MailError && err.cause instanceof MessageTooLargeError)) {
      log.info({ bytes: hasher.bytes }, 'message refused: too large');
      throw refusal(552, '5.3.4', `Message too large (the limit is ${settings.smtp.maxMessageBytes} octets)`);
    }
    log.warn({ err }, 'message not accepted');
    throw err;
  }

  if (door === 'submission' && user) {
    const duplicateOf = await claimSpooledSubmission(ctx.store, ctx.blobs, spoolId, settings.smtp.resendWindowHours, hasher.digest());
    if (duplicateOf) {
      log.info({ spool: spoolId, duplicateOf: duplicateOf.spoolId, firstAt: new Date(duplicateOf.at).toISOString() }, `resend of spool entry ${duplicateOf.spoolId} ignored: same user, Message-ID and content, not delivered or relayed again`);
      return `Already accepted as ${duplicateOf.spoolId}; this resend is ignored`;
    }
  }
  log.info({ spool: spoolId, from: sender, to: recipients, bytes: hasher.bytes }, 'message accepted');
  deliverInBackground(deps, spoolId);
  return `Queued as ${spoolId}`;
}

/** Starts delivery after the 250; a failure leaves the entry to the spool runner. */
function deliverInBackground(deps: SmtpDeps, spoolId: number): void {
  const p = deps.ctx.pipeline
    .process(spoolId)
    .catch((err: unknown) => deps.log.warn({ err, spool: spoolId }, 'delivery failed for now; the spool runner will retry'))
    .finally(() => deps.background.delete(p));
  deps.background.add(p);
}
