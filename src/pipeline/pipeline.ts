/**
 * The one path every message walks, whatever door it came in by:
 * accept: stream to the blob store (fsync) + spool row (the point a source may be told "accepted"),
 * then process: parse header → fingerprint → route → dedupe + deliver (one transaction per
 * message, which also marks the spool row done) → provenance.
 *
 * The message is streamed: it is never held whole in memory, however large.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore, BlobWriter } from '../blobs/blob-store.js';
import { MailError } from '../errors.js';
import { JournalConflictError } from '../store/errors.js';
import type { DeliverOutcome, DeliveryRequest, DeliveryResult, JournalKey, NewSpoolEntry, Source, SpoolEntry, Store } from '../store/interfaces.js';
import { dedupeDecider } from './dedupe.js';
import { storeDirectory } from './directory.js';
import { contentFingerprint, messageIdOf } from './fingerprint.js';
import { decodeForDisplay, first, parseHeaderBlock } from './header-fields.js';
import { receivedHeader } from './received.js';
import { route, type Directory, type RoutingDecision, type RoutingSpec } from './route.js';
import type { Settings } from '../config/schema.js';
import { readSpooledHeader } from './stored-header.js';
import { MessageScanner } from './scan.js';
import { listCopies } from '../lists/mailing.js';

export interface IngestRequest {
  source: Source;
  routing: RoutingSpec;
  /** The message bytes, exactly as received. */
  content: Readable | AsyncIterable<Buffer | string> | Iterable<Buffer>;
  /** For a collector: the journal row written with the spool row (never downloaded twice). */
  journal?: JournalKey;
}

export interface IngestResult {
  ingestId: number;
  spoolId: number;
  blob: string;
  size: number;
  messageId: string | null;
  fingerprint: string;
  results: DeliveryResult[];
  /** Recipients outside the local domains: queued in the outbound queue (src/smtp/outbound). */
  external: string[];
  notes: string[];
  /** Another process delivered this spool entry first; `results` are its. */
  alreadyDone: boolean;
  /** Spool ids of the mailing-list copies this delivery spooled (src/lists/mailing.ts). */
  spawned?: number[];
}

/** A message streamed to a blob file and scanned, not yet durable (see Pipeline.receive). */
export interface ReceivedMessage {
  writer: BlobWriter;
  entry: NewSpoolEntry;
  journal?: JournalKey;
  /** The message's header block, kept so that delivering it right away needs no read from disk. */
  header: Buffer;
}

interface Prepared {
  spoolId: number;
  entry: SpoolEntry;
  messageId: string | null;
  fingerprint: string;
  decision: RoutingDecision;
  request: DeliveryRequest;
}

/** A message that now has at least one copy in a mailbox (see Pipeline.onDelivered). */
export interface DeliveredBlob {
  blob: string;
  size: number;
}

/**
 * Makes the files of received messages durable and puts each one's final blob id in its spool
 * entry: `persist` may store several small messages in one batch file, which gives them new ids.
 */
async function persistEntries(blobs: BlobStore, received: Array<{ writer: BlobWriter; entry: NewSpoolEntry }>): Promise<void> {
  const ids = await blobs.persist(received.map((r) => r.writer));
  received.forEach((r, i) => (r.entry.blob = ids[i]!));
}

/** A received message whose spool entry the caller has just written (see processMany). */
type Known = Pick<ReceivedMessage, 'header' | 'entry'>;

/** The spool entry as written by `recordMany`, without reading it back. */
function pendingEntry(id: number, entry: NewSpoolEntry): SpoolEntry {
  return { ...entry, id, state: 'pending', attempts: 0, lastError: null, ingestId: null };
}

export class Pipeline {
  private readonly deliveredListeners = new Set<(d: DeliveredBlob) => void>();

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
  ) {}

  /** Accepts and delivers at once: for sources that acknowledge only after delivery (collectors, CLI). */
  async ingest(req: IngestRequest): Promise<IngestResult> {
    return this.process(await this.accept(req));
  }

  /**
   * Streams the message into the blob store and records it in the spool. When this resolves the
   * message is durable: the source may be told "accepted" (SMTP 250). Delivery is `process()`.
   * With a journal key that is already taken, rejects with JournalConflictError.
   */
  async accept(req: IngestRequest): Promise<number> {
    const [id] = await this.acceptMany([await this.receive(req)]);
    if (id === null || id === undefined) {
      const j = req.journal!;
      const known = await this.store.journal.lookup(j.mailboxKey, [j.remoteId]);
      throw new JournalConflictError(j, known.get(j.remoteId)?.spoolId ?? -1);
    }
    return id;
  }

  /**
   * First half of `accept`: streams the message to a new blob file and scans it, without making
   * anything durable. Hand the result to `acceptMany` (or `discard` it). `batch.settings`: a
   * snapshot the caller read for a batch of messages, instead of a read per message.
   */
  async receive(req: IngestRequest, batch?: { settings: Settings }): Promise<ReceivedMessage> {
    const settings = batch?.settings ?? (await this.store.config.settings());
    const now = new Date();
    const forAddress = req.routing.mode === 'envelope' && req.routing.recipients.length === 1 ? req.routing.recipients[0] : undefined;
    const prefix = receivedHeader(req.source, settings.hostname, now, forAddress);
    const writer = await this.blobs.create();
    const scanner = new MessageScanner();
    try {
      await writer.write(prefix);
      for await (const chunk of req.content) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : chunk;
        scanner.update(buf);
        await writer.write(buf);
      }
    } catch (err) {
      await writer.abort();
      throw new MailError({ message: 'reading the message failed before it was stored', cause: err });
    }
    writer.end();
    const scan = scanner.finish();
    const entry: NewSpoolEntry = {
      receivedAt: now.getTime(),
      source: req.source,
      routing: req.routing,
      // Its place once it is durable: `persistFiles` gives the final id (a batch file's, perhaps).
      blob: writer.fileId,
      size: prefix.length + scan.size,
      wireSize: prefix.length + scan.wireSize,
      headerOffset: prefix.length,
      headerLength: scan.header.length,
      bodyHash: scan.bodyHash,
    };
    return { writer, entry, header: scan.header, ...(req.journal ? { journal: req.journal } : {}) };
  }

  /**
   * Second half of `accept`, for several messages at once: their files are made durable together
   * and their spool rows (with journal rows) written in one transaction, so a batch costs a few
   * fsyncs instead of a few per message. Returns each spool id, or null for a message whose
   * journal key was already taken (that copy is dropped: another session has it).
   */
  async acceptMany(received: ReceivedMessage[]): Promise<Array<number | null>> {
    if (received.length === 0) return [];
    await this.persistFiles(received);
    return this.recordMany(received);
  }

  /** `acceptMany` in two steps, for a caller that overlaps one batch's fsyncs with another's rows: the files made durable... */
  async persistFiles(received: ReceivedMessage[]): Promise<void> {
    await persistEntries(this.blobs, received);
  }

  /**
   * ...then, once they are, the spool rows (with journal rows) in one transaction. `deferSync`: a
   * collector that delivers them at once needs no wait for the disk here (SpoolStore.addMany).
   */
  recordMany(received: ReceivedMessage[], options?: { deferSync?: boolean }): Promise<Array<number | null>> {
    return this.store.spool.addMany(
      received.map((r) => ({ entry: r.entry, ...(r.journal ? { journal: r.journal } : {}) })),
      options,
    );
  }

  /** Drops received messages that will not be accepted. */
  async discard(received: ReceivedMessage[]): Promise<void> {
    await Promise.all(received.map((r) => r.writer.abort()));
  }

  /**
   * Routes and delivers a spooled message: dedupe keys, recipients, then one transaction that
   * writes every copy, the ledger, the provenance and marks the spool entry done. Safe to call
   * twice or from two processes: the second finds the entry done and changes nothing. A failure
   * leaves the entry pending (the spool runner retries it) and rejects with a MailError.
   */
  async process(spoolId: number): Promise<IngestResult> {
    try {
      const prepared = await this.prepare(spoolId);
      const [outcome] = await this.store.deliveries.deliverMany([prepared.request]);
      return await this.followUp(this.finish(prepared, outcome!));
    } catch (err) {
      await this.store.spool.failed(spoolId, err instanceof Error ? err.message : String(err)).catch(() => undefined);
      throw err instanceof MailError ? err : new MailError({ message: `delivering spooled message ${spoolId} failed; it stays spooled and will be retried`, cause: err });
    }
  }

  /**
   * `process` for several spool entries in one delivery transaction (one fsync). `received` may
   * give, for each entry, the message as `receive` returned it when the caller still has it: its
   * header block and spool entry are then not read back (the transaction still checks the entry's
   * state). If the batch fails, each entry is tried alone, so one bad message never holds back the
   * others; an entry that still fails yields its MailError in place of a result.
   */
  async processMany(spoolIds: number[], received: Array<Known | undefined> = []): Promise<Array<IngestResult | MailError>> {
    if (spoolIds.length <= 1) return Promise.all(spoolIds.map((id) => this.process(id).catch((e: unknown) => e as MailError)));
    try {
      // One snapshot of the settings and one directory for the batch: the same questions, asked once.
      const settings = await this.store.config.settings();
      const batch = { settings, directory: storeDirectory(this.store, settings, { memoize: true }) };
      const prepared: Prepared[] = [];
      for (const [i, id] of spoolIds.entries()) prepared.push(await this.prepare(id, received[i], batch));
      const outcomes = await this.store.deliveries.deliverMany(prepared.map((p) => p.request));
      const results = prepared.map((p, i) => this.finish(p, outcomes[i]!));
      for (const r of results) await this.followUp(r);
      return results;
    } catch {
      const out: Array<IngestResult | MailError> = [];
      for (const id of spoolIds) out.push(await this.process(id).catch((e: unknown) => e as MailError));
      return out;
    }
  }

  /** Everything a delivery needs, worked out outside the transaction. */
  private async prepare(spoolId: number, known?: Known, batch?: { settings: Settings; directory: Directory }): Promise<Prepared> {
    const entry = known ? pendingEntry(spoolId, known.entry) : await this.store.spool.get(spoolId);
    if (!entry) throw new MailError({ message: `spool entry ${spoolId} does not exist`, temporary: false });
    const header = known?.header;
    const routing = entry.routing as RoutingSpec;
    const settings = batch?.settings ?? (await this.store.config.settings());
    const fields = parseHeaderBlock(header ?? (await readSpooledHeader(this.blobs, entry)));
    const messageId = messageIdOf(fields);
    const fingerprint = contentFingerprint(fields, entry.bodyHash);
    const decision = await route(routing, fields, batch?.directory ?? storeDirectory(this.store, settings));
    // Mailing lists: their copies are new messages, made durable now and spooled by the delivery
    // transaction below (so exactly once). A refused non-member post is kept, never dropped.
    let spawn: NewSpoolEntry[] | undefined;
    if (decision.lists.length > 0) {
      const lists = await listCopies(
        { store: this.store, blobs: this.blobs, receive: (req) => this.receive(req) },
        { parentSpool: spoolId, blob: entry.blob, envelopeFrom: entry.source.envelopeFrom, fields },
        decision.lists,
        settings,
      );
      decision.notes.push(...lists.notes);
      if (lists.refusedBy.length > 0 && !decision.recipients.has(settings.unknownRecipient) && (await this.store.users.get(settings.unknownRecipient))) {
        decision.recipients.set(settings.unknownRecipient, `post refused by members-only list ${lists.refusedBy.join(', ')}`);
      }
      await persistEntries(this.blobs, lists.copies);
      spawn = lists.copies.map((c) => c.entry);
    }

    const days = settings.duplicates.globalDays;
    const globalStart = days > 0 ? Date.now() - days * 86_400_000 : Number.MAX_SAFE_INTEGER;
    const windowStart = Math.min(globalStart, routing.sessionSince ?? Number.MAX_SAFE_INTEGER);
    const decide = dedupeDecider(messageId, fingerprint, settings.duplicates.contentMatch);
    const recipients = [...decision.recipients].map(([user, via]) => ({ user, via, decide }));
    const request: DeliveryRequest = {
      ingest: {
        source: entry.source,
        receivedAt: entry.receivedAt,
        blob: entry.blob,
        size: entry.size,
        wireSize: entry.wireSize,
        messageId,
        fingerprint,
        subject: decodeForDisplay(first(fields, 'subject')),
        from: decodeForDisplay(first(fields, 'from')),
        routing: { spec: routing, notes: decision.notes, external: decision.external },
        // Outside recipients are queued for the smarthost in the same transaction as the local copies.
        outbound: decision.external.length > 0 ? { sender: entry.source.envelopeFrom || null, recipients: decision.external } : undefined,
      },
      recipients,
      windowStart,
      spoolId,
      ...(spawn ? { spawn } : {}),
    };
    return { spoolId, entry, messageId, fingerprint, decision, request };
  }

  /**
   * Calls `listener` after each delivery that put a copy in a mailbox (in this process), so work
   * that belongs to delivery time but not to its transaction (the IMAP structure) can follow at
   * once. Returns a function that removes the listener. Listeners must not throw.
   */
  onDelivered(listener: (d: DeliveredBlob) => void): () => void {
    this.deliveredListeners.add(listener);
    return () => this.deliveredListeners.delete(listener);
  }

  private finish(p: Prepared, outcome: DeliverOutcome): IngestResult {
    const { ingestId, results, alreadyDone } = outcome;
    if (!alreadyDone && results.some((r) => r.outcome !== 'suppressed')) {
      for (const listener of this.deliveredListeners) {
        try {
          listener({ blob: p.entry.blob, size: p.entry.size });
        } catch (err) {
          this.log.error({ err }, 'a delivery listener failed');
        }
      }
    }
    const source = `${p.entry.source.kind}:${p.entry.source.name}`;
    if (alreadyDone) this.log.info({ spool: p.spoolId, ingest: ingestId, source }, 'already delivered by another process');
    else {
      for (const r of results) {
        this.log.info({ ingest: ingestId, source, user: r.user, outcome: r.outcome, mailbox: r.mailbox, uid: r.uid, messageId: p.messageId }, `${r.outcome} to ${r.user}: ${r.reason}`);
      }
      if (p.decision.external.length > 0) this.log.info({ ingest: ingestId, source, external: p.decision.external }, `queued for relaying to ${p.decision.external.join(', ')}`);
    }
    return {
      ingestId,
      spoolId: p.spoolId,
      blob: p.entry.blob,
      size: p.entry.size,
      messageId: p.messageId,
      fingerprint: p.fingerprint,
      results,
      external: p.decision.external,
      notes: p.decision.notes,
      alreadyDone,
      ...(outcome.spawned?.length ? { spawned: outcome.spawned } : {}),
    };
  }

  /**
   * Delivers the list copies a delivery spooled, right away; one that fails stays spooled for the
   * spool runner (it is durable already), so the original's result stands either way.
   */
  private async followUp(r: IngestResult): Promise<IngestResult> {
    for (const id of r.spawned ?? []) {
      await this.process(id).catch((err: unknown) => this.log.warn({ err, spool: id }, 'list copy not delivered yet; the spool runner will retry'));
    }
    return r;
  }
}
