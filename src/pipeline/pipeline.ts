/**
 * The one path every message walks, whatever door it came in by:
 * spool (blob store, fsync) → parse header → fingerprint → route → dedupe + deliver (one
 * transaction per message) → provenance.
 *
 * The message is streamed: it is never held whole in memory, however large.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { MailError } from '../errors.js';
import type { DeliveryResult, Source, Store } from '../store/interfaces.js';
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
}

export interface IngestResult {
  ingestId: number;
  blob: string;
  size: number;
  messageId: string | null;
  fingerprint: string;
  results: DeliveryResult[];
  /** Recipients outside the local domains (not delivered by the pipeline itself). */
  external: string[];
  notes: string[];
}

export class Pipeline {
  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
  ) {}

  async ingest(req: IngestRequest): Promise<IngestResult> {
    const settings = await this.store.config.settings();
    const now = new Date();
    const forAddress = req.routing.mode === 'envelope' && req.routing.recipients.length === 1 ? req.routing.recipients[0] : undefined;
    const prefix = receivedHeader(req.source, settings.hostname, now, forAddress);

    const spooled = await this.spool(prefix, req.content);
    const fields = parseHeaderBlock(spooled.header);
    const messageId = messageIdOf(fields);
    const fingerprint = contentFingerprint(fields, spooled.bodyHash);
    const decision = await route(req.routing, fields, storeDirectory(this.store, settings));

    const days = settings.duplicates.globalDays;
    const windowStart = days > 0 ? now.getTime() - days * 86_400_000 : Number.MAX_SAFE_INTEGER;
    const decide = dedupeDecider(messageId, fingerprint, settings.duplicates.contentMatch);
    const recipients = [...decision.recipients].map(([user, via]) => ({ user, via, decide }));
    const { ingestId, results } = await this.store.deliveries.deliver(
      {
        source: req.source,
        receivedAt: now.getTime(),
        blob: spooled.blob,
        size: spooled.size,
        wireSize: spooled.wireSize,
        messageId,
        fingerprint,
        subject: decodeForDisplay(first(fields, 'subject')),
        from: decodeForDisplay(first(fields, 'from')),
        routing: { spec: req.routing, notes: decision.notes, external: decision.external },
      },
      recipients,
      windowStart,
    );

    for (const r of results) {
      this.log.info(
        { ingest: ingestId, source: `${req.source.kind}:${req.source.name}`, user: r.user, outcome: r.outcome, mailbox: r.mailbox, uid: r.uid, messageId },
        `${r.outcome} to ${r.user}: ${r.reason}`,
      );
    }
    if (decision.external.length > 0) {
      this.log.warn({ ingest: ingestId, external: decision.external }, 'recipients outside the local domains are not delivered by the pipeline');
    }
    return { ingestId, blob: spooled.blob, size: spooled.size, messageId, fingerprint, results, external: decision.external, notes: decision.notes };
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
    return { blob, header: scan.header, bodyHash: scan.bodyHash, size: prefix.length + scan.size, wireSize: prefix.length + scan.wireSize };
  }
}
