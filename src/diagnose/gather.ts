/**
 * Collecting the evidence diagnosis needs: stored stories from the store, header blocks from the
 * blob store, or .eml files given on the command line. The only part of src/diagnose that does I/O.
 */
import { createReadStream } from 'node:fs';
import type { BlobStore } from '../blobs/blob-store.js';
import { contentFingerprint, messageIdOf } from '../pipeline/fingerprint.js';
import { parseHeaderBlock, values } from '../pipeline/header-fields.js';
import { MessageScanner } from '../pipeline/scan.js';
import { readStoredHeader } from '../pipeline/stored-header.js';
import type { CopyStory, HeldCopy, Store } from '../store/interfaces.js';
import { diagnoseCopies, type Diagnosis } from './diagnose.js';
import { arrivedAsKey, type CopyEvidence, type DiagnoseContext, parseOurReceived } from './evidence.js';

const HEADER_READ = 256 * 1024;

export async function diagnoseContext(store: Store): Promise<DiagnoseContext> {
  const snap = await store.config.snapshot();
  return { hostname: snap.settings.hostname, collectors: snap.collectors, users: snap.users.map((u) => ({ name: u.name, addresses: u.addresses })) };
}

export async function evidenceOf(blobs: BlobStore, s: CopyStory): Promise<CopyEvidence> {
  const headers = parseHeaderBlock(await readStoredHeader(blobs, s.blob, HEADER_READ).catch(() => Buffer.alloc(0)));
  return {
    label: `copy #${s.deliveryId}`,
    deliveryId: s.deliveryId,
    source: s.source,
    at: s.at,
    messageId: s.messageId,
    fingerprint: s.fingerprint,
    arrivedAs: arrivedAsKey(headers, s.fingerprint),
    outcome: s.outcome,
    reason: s.reason,
    via: s.via,
    mailbox: s.mailbox,
    uid: s.uid,
    headers,
  };
}

/** Every copy the user has with this Message-ID, and those with the same content under another ID. */
export async function copiesByMessageId(store: Store, blobs: BlobStore, user: string, messageId: string): Promise<CopyEvidence[]> {
  const byId = await store.provenance.copiesOf(user, { messageId });
  const fingerprints = [...new Set(byId.map((c) => c.fingerprint))];
  const all = fingerprints.length > 0 ? await store.provenance.copiesOf(user, { messageId, fingerprints }) : byId;
  return Promise.all(all.map((s) => evidenceOf(blobs, s)));
}

/** A message file: the same keys the pipeline computes, and the door our own Received line names. */
export async function evidenceOfFile(file: string): Promise<CopyEvidence> {
  const scanner = new MessageScanner();
  for await (const chunk of createReadStream(file)) scanner.update(chunk as Buffer);
  const scan = scanner.finish();
  const headers = parseHeaderBlock(scan.header);
  const ours = values(headers, 'received').map(parseOurReceived)[0];
  // A file saved from a mail program starts with our Received line: the part after it is what arrived.
  const own = ours ? headers.slice(1) : headers;
  const fingerprint = contentFingerprint(own, scan.bodyHash);
  return {
    label: `file ${file}`,
    ...(ours ? { source: ours.source } : {}),
    messageId: messageIdOf(own),
    fingerprint,
    arrivedAs: arrivedAsKey(headers, fingerprint),
    headers,
  };
}

/**
 * Why a held copy was held: the copy paired with the earlier one the ledger matched it to, through
 * the same classification as `postroom diagnose` (the admin's Possible duplicates page and API).
 * Undefined when the store has no story for it.
 */
export async function diagnoseHeldCopy(store: Store, blobs: BlobStore, held: HeldCopy): Promise<Diagnosis | undefined> {
  const { deliveryId } = held;
  const story = (await store.provenance.ofIngest(held.ingestId)).find((c) => c.deliveryId === deliveryId);
  if (!story) return undefined;
  const earlier = await store.provenance.earlierMatch(story);
  const copies = await Promise.all([...(earlier ? [earlier] : []), story].map((s) => evidenceOf(blobs, s)));
  return diagnoseCopies(held.user, `held copy #${deliveryId} (${held.subject ?? 'no subject'})`, copies, await diagnoseContext(store));
}
