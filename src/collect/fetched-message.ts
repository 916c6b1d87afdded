/**
 * What both collectors (POP3 and IMAP) do with a remote message: hand it to the pipeline with its
 * journal key, so that the spool row and the journal row commit together, and count the outcome.
 * Messages are made durable and delivered in batches (FetchBatcher).
 */
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { CollectorConfig, Settings } from '../config/schema.js';
import type { Pipeline, ReceivedMessage } from '../pipeline/pipeline.js';
import type { RoutingSpec } from '../pipeline/route.js';
import type { Store } from '../store/interfaces.js';
import type { SessionReport } from './session-report.js';

export interface CollectDeps {
  store: Store;
  pipeline: Pipeline;
}

export function routingOf(c: CollectorConfig, sessionStart: number): RoutingSpec {
  // Without a global window, removeDuplicates still dedupes within this session.
  const sessionSince = c.removeDuplicates ? sessionStart : undefined;
  const base: RoutingSpec =
    c.routing.mode === 'user'
      ? { mode: 'user', target: c.routing.target }
      : { mode: 'headers', envelopeHeaders: c.routing.envelopeHeaders, ...(c.routing.unknown ? { unknown: c.routing.unknown } : {}) };
  return sessionSince === undefined ? base : { ...base, sessionSince };
}

/** os.hostname() is a system call and a collector asks once per message: read once per process. */
let hostName: string | undefined;
const host = () => (hostName ??= hostname());

/**
 * The provenance of a fetched copy: which remote mailbox and message, which session (id and start)
 * and which process on which host downloaded it; what `postroom diagnose` reads to tell a repeated
 * download, two collectors on one mailbox or a second server instance apart.
 */
export function collectorDetail(c: CollectorConfig, mailboxKey: string, remoteId: string, report: SessionReport): Record<string, unknown> {
  return {
    protocol: c.protocol,
    mailbox: mailboxKey,
    uid: remoteId,
    routing: c.routing.mode,
    session: report.sessionId,
    sessionStartedAt: report.startedAt,
    host: host(),
    pid: process.pid,
  };
}

/** When a batch is made durable, and how many may be on their way at once. */
export interface BatchLimits {
  /** Messages per batch. */
  messages: number;
  /** Bytes per batch: a few large messages make a batch of their own. */
  bytes: number;
  /** Batches being made durable while the next one downloads. */
  depth: number;
}

const LIMITS: BatchLimits = { messages: 32, bytes: 16 * 1024 * 1024, depth: 2 };

/**
 * Hands fetched messages to the pipeline in batches: each message is streamed to disk as it
 * arrives, and every `messages` messages or `bytes` bytes (or at `flush()`) the batch is made
 * durable together (files fsync'd in parallel, spool and journal rows in one transaction) and
 * delivered in one transaction. A few fsyncs per batch instead of a few per message: the download
 * can run close to the link's speed and every message is still durable before anything is
 * deleted remotely.
 *
 * Up to `depth` batches are on their way while the next one downloads: their files are fsync'd
 * at the same time, but each batch's rows are written only after its own files are durable and
 * after the previous batch's rows (so the journal follows the download order). Waiting for one
 * batch before starting the next left the download idle whenever a batch's fsyncs took longer
 * than the next batch's download.
 */
export class FetchBatcher {
  private pending: ReceivedMessage[] = [];
  private pendingBytes = 0;
  /** The settings snapshot of the batch being filled. */
  private settings: Settings | undefined;
  /** Batches on their way, oldest first. */
  private inflight: Array<Promise<void>> = [];
  /** The last batch started: the next one records its rows after it. */
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: CollectDeps,
    private readonly c: CollectorConfig,
    private readonly mailboxKey: string,
    private readonly routing: RoutingSpec,
    private readonly report: SessionReport,
    private readonly limits: BatchLimits = LIMITS,
  ) {}

  /** Streams one message to disk; starts storing the batch when it is full. */
  async add(remoteId: string, content: Readable): Promise<void> {
    // The settings (the Received line's host name) are read once per batch, not per message.
    if (this.pending.length === 0 || !this.settings) this.settings = await this.deps.store.config.settings();
    const request = {
      source: { kind: 'collector' as const, name: this.c.name, remoteId: `${this.mailboxKey} ${remoteId}`, detail: collectorDetail(this.c, this.mailboxKey, remoteId, this.report) },
      routing: this.routing,
      content,
      journal: { mailboxKey: this.mailboxKey, remoteId, collector: this.c.name },
    };
    const received = await this.deps.pipeline.receive(request, { settings: this.settings });
    this.pending.push(received);
    this.pendingBytes += received.entry.size;
    if (this.pending.length >= this.limits.messages || this.pendingBytes >= this.limits.bytes) {
      // The oldest batch's failure is reported here, and it bounds the memory held by batches.
      while (this.inflight.length >= this.limits.depth) await this.inflight.shift();
      this.startPending();
    }
  }

  /**
   * Makes the pending messages durable and delivers them, after the batches on their way. A
   * message whose delivery fails stays in the spool (the spool runner retries it) and is counted
   * as an error; it is not deleted remotely because the journal shows it undelivered. Rejects
   * with the first batch's failure, once every batch has been tried.
   */
  async flush(): Promise<void> {
    this.startPending();
    const results = await Promise.allSettled(this.inflight.splice(0));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private startPending(): void {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    const previous = this.last;
    const files = this.deps.pipeline.persistFiles(batch);
    const done = (async () => {
      try {
        await files;
        await previous.catch(() => undefined);
      } catch (err) {
        await this.deps.pipeline.discard(batch);
        throw err;
      }
      await this.record(batch);
    })();
    // Its failure is reported where it is awaited (add, flush); this only keeps it from counting as unhandled.
    done.catch(() => undefined);
    this.last = done;
    this.inflight.push(done);
  }

  /** The batch's rows (its files are durable), then its deliveries. */
  private async record(batch: ReceivedMessage[]): Promise<void> {
    let ids: Array<number | null>;
    try {
      // Delivered right below, in a transaction that waits for the disk and so makes these rows
      // durable too: this commit need not wait (a power cut in between only means downloading again).
      ids = await this.deps.pipeline.recordMany(batch, { deferSync: true });
    } catch (err) {
      await this.deps.pipeline.discard(batch);
      throw err;
    }
    // null: another session had already downloaded it (the lock makes this rare); its copy counts.
    const accepted = ids.flatMap((id, i) => (id === null ? [] : [{ id, received: batch[i]! }]));
    this.report.downloaded += accepted.length;
    const results = await this.deps.pipeline.processMany(
      accepted.map((a) => a.id),
      accepted.map((a) => a.received),
    );
    for (const r of results) {
      if (r instanceof Error) this.report.errors.push(`delivery failed (the message stays spooled and will be retried): ${r.message}`);
      else for (const d of r.results) this.report[d.outcome]++;
    }
  }

  /** Drops what was received but not stored (their temporary files), once the batches on their way are done. */
  async discard(): Promise<void> {
    await Promise.allSettled(this.inflight.splice(0));
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.deps.pipeline.discard(batch);
  }
}
