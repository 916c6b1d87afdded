/**
 * What both collectors (POP3 and IMAP) do with a remote message: hand it to the pipeline with its
 * journal key, so that the spool row and the journal row commit together, and count the outcome.
 * Messages are made durable and delivered in batches (FetchBatcher).
 */
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { CollectorConfig } from '../config/schema.js';
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

/**
 * Hands fetched messages to the pipeline in batches: each message is streamed to disk as it
 * arrives, and every `batchSize` messages (or at `flush()`) the batch is made durable together
 * (files fsync'd in parallel, spool and journal rows in one transaction) and delivered in one
 * transaction. A few fsyncs per batch instead of a few per message: the download can run close
 * to the link's speed and every message is still durable before anything is deleted remotely.
 */
export class FetchBatcher {
  private pending: ReceivedMessage[] = [];
  /** The batch being made durable while the next one downloads (at most one at a time). */
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly deps: CollectDeps,
    private readonly c: CollectorConfig,
    private readonly mailboxKey: string,
    private readonly routing: RoutingSpec,
    private readonly report: SessionReport,
    private readonly batchSize = 32,
  ) {}

  /** Streams one message to disk; flushes when the batch is full. */
  async add(remoteId: string, content: Readable): Promise<void> {
    const received = await this.deps.pipeline.receive({
      source: { kind: 'collector', name: this.c.name, remoteId: `${this.mailboxKey} ${remoteId}`, detail: collectorDetail(this.c, this.mailboxKey, remoteId, this.report) },
      routing: this.routing,
      content,
      journal: { mailboxKey: this.mailboxKey, remoteId, collector: this.c.name },
    });
    this.pending.push(received);
    if (this.pending.length >= this.batchSize) {
      // Wait for the previous batch, then let this one be stored while the next one downloads.
      await this.settle();
      const batch = this.pending;
      this.pending = [];
      this.inflight = this.store(batch);
      // Its failure is reported by the next settle(); this only keeps it from counting as unhandled.
      this.inflight.catch(() => undefined);
    }
  }

  private async settle(): Promise<void> {
    const previous = this.inflight;
    this.inflight = null;
    if (previous) await previous;
  }

  /**
   * Makes the pending messages durable and delivers them. A message whose delivery fails stays
   * in the spool (the spool runner retries it) and is counted as an error; it is not deleted
   * remotely because the journal shows it undelivered.
   */
  async flush(): Promise<void> {
    await this.settle();
    const batch = this.pending;
    this.pending = [];
    await this.store(batch);
  }

  private async store(batch: ReceivedMessage[]): Promise<void> {
    if (batch.length === 0) return;
    let ids: Array<number | null>;
    try {
      ids = await this.deps.pipeline.acceptMany(batch);
    } catch (err) {
      await this.deps.pipeline.discard(batch);
      throw err;
    }
    // null: another session had already downloaded it (the lock makes this rare); its copy counts.
    const accepted = ids.flatMap((id, i) => (id === null ? [] : [{ id, header: batch[i]!.header }]));
    this.report.downloaded += accepted.length;
    const results = await this.deps.pipeline.processMany(
      accepted.map((a) => a.id),
      accepted.map((a) => a.header),
    );
    for (const r of results) {
      if (r instanceof Error) this.report.errors.push(`delivery failed (the message stays spooled and will be retried): ${r.message}`);
      else for (const d of r.results) this.report[d.outcome]++;
    }
  }

  /** Drops what was received but not flushed (their temporary files). */
  async discard(): Promise<void> {
    await this.settle().catch(() => undefined);
    const batch = this.pending;
    this.pending = [];
    await this.deps.pipeline.discard(batch);
  }
}
