/**
 * The one path every message walks, whatever door it came in by:
 * accept: stream to the blob store (fsync) + spool row (the point a source may be told "accepted"),
 * then process: parse header → fingerprint → route → dedupe + deliver (one transaction per
 * message, which also marks the spool row done) → provenance.
 *
 * The message is streamed: it is never held whole in memory, however large.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { MailError } from '../errors.js';
import type { DeliveryResult, JournalKey, Source, Store } from '../store/interfaces.js';
import { dedupeDecider } from './dedupe.js';
import { storeDirectory } from './directory.js';
import { contentFingerprint, messageIdOf } from './fingerprint.js';
import { decodeForDisplay, first, parseHeaderBlock } from './header-fields.js';
import { receivedHeader } from './received.js';
import { route, type RoutingSpec } from './route.js';
import { MessageScanner } from './scan.js';

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
}

export class Pipeline {
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
   */
  async accept(req: IngestRequest): Promise<number> {
    const settings = await this.store.config.settings();
    const now = new Date();
    const forAddress = req.routing.mode === 'envelope' && req.routing.recipients.length === 1 ? req.routing.recipients[0] : undefined;
    const prefix = receivedHeader(req.source, settings.hostname, now, forAddress);
    const spooled = await this.spool(prefix, req.content);
    return this.store.spool.add({
      receivedAt: now.getTime(),
      source: req.source,
      routing: req.routing,
      blob: spooled.blob,
      size: spooled.size,
      wireSize: spooled.wireSize,
      headerOffset: prefix.length,
      headerLength: spooled.headerLength,
      bodyHash: spooled.bodyHash,
    }, req.journal);
  }

  /**
   * Routes and delivers a spooled message: dedupe keys, recipients, then one transaction that
   * writes every copy, the ledger, the provenance and marks the spool entry done. Safe to call
   * twice or from two processes: the second finds the entry done and changes nothing.
   */
  async process(spoolId: number): Promise<IngestResult> {
    const entry = await this.store.spool.get(spoolId);
    if (!entry) throw new MailError({ message: `spool entry ${spoolId} does not exist`, temporary: false });
    const routing = entry.routing as RoutingSpec;
    try {
      const settings = await this.store.config.settings();
      const fields = parseHeaderBlock(await this.readHeader(entry.blob, entry.headerOffset, entry.headerLength));
      const messageId = messageIdOf(fields);
      const fingerprint = contentFingerprint(fields, entry.bodyHash);
      const decision = await route(routing, fields, storeDirectory(this.store, settings));

      const days = settings.duplicates.globalDays;
      const globalStart = days > 0 ? Date.now() - days * 86_400_000 : Number.MAX_SAFE_INTEGER;
      const windowStart = Math.min(globalStart, routing.sessionSince ?? Number.MAX_SAFE_INTEGER);
      const decide = dedupeDecider(messageId, fingerprint, settings.duplicates.contentMatch);
      const recipients = [...decision.recipients].map(([user, via]) => ({ user, via, decide }));
      const { ingestId, results, alreadyDone } = await this.store.deliveries.deliver(
        {
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
      );
      const source = `${entry.source.kind}:${entry.source.name}`;
      if (alreadyDone) this.log.info({ spool: spoolId, ingest: ingestId, source }, 'already delivered by another process');
      else {
        for (const r of results) {
          this.log.info({ ingest: ingestId, source, user: r.user, outcome: r.outcome, mailbox: r.mailbox, uid: r.uid, messageId }, `${r.outcome} to ${r.user}: ${r.reason}`);
        }
        if (decision.external.length > 0) this.log.info({ ingest: ingestId, source, external: decision.external }, `queued for relaying to ${decision.external.join(', ')}`);
      }
      return { ingestId, spoolId, blob: entry.blob, size: entry.size, messageId, fingerprint, results, external: decision.external, notes: decision.notes, alreadyDone };
    } catch (err) {
      await this.store.spool.failed(spoolId, err instanceof Error ? err.message : String(err)).catch(() => undefined);
      throw err instanceof MailError ? err : new MailError({ message: `delivering spooled message ${spoolId} failed; it stays spooled and will be retried`, cause: err });
    }
  }

  private async readHeader(blob: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const fh = await open(this.blobs.pathOf(blob), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Writes prefix + content to a new blob while scanning the content. */
  private async spool(prefix: Buffer, content: IngestRequest['content']) {
    const writer = await this.blobs.create();
    const scanner = new MessageScanner();
    try {
      await writer.write(prefix);
      for await (const chunk of content) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : chunk;
        scanner.update(buf);
        await writer.write(buf);
      }
    } catch (err) {
      await writer.abort();
      throw new MailError({ message: 'reading the message failed before it was stored', cause: err });
    }
    const blob = await writer.commit();
    const scan = scanner.finish();
    return { blob, headerLength: scan.header.length, bodyHash: scan.bodyHash, size: prefix.length + scan.size, wireSize: prefix.length + scan.wireSize };
  }
}
