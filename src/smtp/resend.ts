/**
 * Idempotent submission: Outlook resends a message silently when the 250 after DATA is slow (see
 * the seed's "Duplicated Messages"), and each resend would be delivered and relayed again.
 *
 * The key is (user, Message-ID, content hash, envelope):
 * - content hash: sha256 of the bytes exactly as the client sent them, i.e. the stored blob minus
 *   the Received line we prepend. Not the pipeline's fingerprint: that one deliberately ignores
 *   headers outside an allow list and line-ending differences, because ISP copies of one message
 *   differ there. A resend from the same client is byte-identical, so the exact hash loses no
 *   resend, while a looser key could drop a message that really differs (a changed Importance,
 *   Disposition-Notification-To, an added header) and a wrong "duplicate" here is lost mail.
 * - envelope: a client that splits a long recipient list into several transactions sends the same
 *   Message-ID and bytes with different RCPTs; those are not resends.
 * A message without Message-ID is never treated as a resend.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import { messageIdOf } from '../pipeline/fingerprint.js';
import { readSpooledHeader } from '../pipeline/stored-header.js';
import { parseHeaderBlock } from '../pipeline/header-fields.js';
import type { Settings } from '../config/schema.js';
import type { SpoolCheck } from '../pipeline/spool-runner.js';
import type { SpoolEntry, Store, SubmissionKey } from '../store/interfaces.js';

/** Thrown into the stream when a message goes over the size limit. */
export class MessageTooLargeError extends Error {}

/**
 * Passes the message through unchanged while hashing it and counting its octets; past `maxBytes`
 * it keeps reading (the client must be let to finish DATA) but forwards nothing and fails at the end.
 */
export class ContentHasher extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get exceeded(): boolean {
    return this.bytes > this.maxBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.exceeded) return done();
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.exceeded ? new MessageTooLargeError(`message of more than ${this.maxBytes} octets`) : null);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The envelope part of the key: sender and the sorted recipients, hashed. */
export function envelopeKey(sender: string, recipients: string[]): string {
  const rcpts = [...new Set(recipients.map((r) => r.toLowerCase()))].sort();
  return createHash('sha256').update(`${sender.toLowerCase()}\n${rcpts.join('\n')}`).digest('hex');
}

/** The Message-ID of a spooled message, read from its header block in the blob. */
export async function spooledMessageId(blobs: BlobStore, entry: SpoolEntry): Promise<string | null> {
  return messageIdOf(parseHeaderBlock(await readSpooledHeader(blobs, entry)));
}

export function submissionKey(user: string, messageId: string, contentHash: string, sender: string, recipients: string[]): SubmissionKey {
  return { user, messageId, contentHash, envelope: envelopeKey(sender, recipients) };
}

/**
 * The resend check of a spooled submission: records it, or marks it done when the same key came
 * within the window. The key is built from the spool row (user, envelope) and the content hash:
 * the receiving session passes the hash it computed while the client sent the message; for a
 * leftover (the process that accepted it died before its own check, so the client never saw the
 * 250 and will resend) it is computed again from the file: the client's bytes are the blob after
 * our Received line. Whichever of two copies is checked first is recorded and delivered.
 * Returns the earlier submission when this entry is a resend (the store has marked it done).
 */
export async function claimSpooledSubmission(store: Store, blobs: BlobStore, spoolId: number, windowHours: number, contentHash?: string, now = Date.now()): Promise<{ spoolId: number; at: number } | null> {
  if (windowHours <= 0) return null;
  const entry = await store.spool.get(spoolId);
  const user = entry?.source.kind === 'submission' ? entry.source.detail?.['user'] : undefined;
  if (!entry || entry.state !== 'pending' || typeof user !== 'string') return null;
  // A leftover still pending after its check (its delivery keeps failing) is asked about on every
  // spool pass: answered from the ledger, without reading its header and hashing its file again.
  if (await store.submissions.recorded(spoolId)) return null;
  const messageId = await spooledMessageId(blobs, entry);
  if (!messageId) return null;
  const routing = entry.routing as { recipients?: string[] };
  const key = submissionKey(user, messageId, contentHash ?? (await hashAfter(blobs, entry.blob, entry.headerOffset)), entry.source.envelopeFrom ?? '', routing.recipients ?? []);
  return store.submissions.claim(key, spoolId, now, now - windowHours * 3_600_000);
}

/** The spool runner's check (server.ts): a leftover submission that turns out to be a resend is not delivered. */
export function leftoverResendCheck(store: Store, blobs: BlobStore, settings: () => Settings): SpoolCheck {
  return async (id) => {
    const earlier = await claimSpooledSubmission(store, blobs, id, settings().smtp.resendWindowHours);
    return earlier ? `resend of spool entry ${earlier.spoolId}` : null;
  };
}

/** sha256 of a blob from `offset` on. */
async function hashAfter(blobs: BlobStore, blob: string, offset: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of blobs.read(blob, { start: offset })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
