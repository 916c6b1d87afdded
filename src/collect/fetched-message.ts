/**
 * What both collectors (POP3 and IMAP) do with a remote message: hand it to the pipeline with its
 * journal key, so that the spool row and the journal row commit together, and count the outcome.
 */
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { CollectorConfig } from '../config/schema.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { RoutingSpec } from '../pipeline/route.js';
import type { Store } from '../store/interfaces.js';
import { JournalConflictError } from '../store/errors.js';
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
    host: hostname(),
    pid: process.pid,
  };
}

export async function deliverFetched(
  deps: CollectDeps,
  c: CollectorConfig,
  mailboxKey: string,
  remoteId: string,
  content: Readable,
  routing: RoutingSpec,
  report: SessionReport,
): Promise<void> {
  try {
    const r = await deps.pipeline.ingest({
      source: { kind: 'collector', name: c.name, remoteId: `${mailboxKey} ${remoteId}`, detail: collectorDetail(c, mailboxKey, remoteId, report) },
      routing,
      content,
      journal: { mailboxKey, remoteId, collector: c.name },
    });
    report.downloaded++;
    for (const d of r.results) report[d.outcome]++;
  } catch (err) {
    // Another session got it first (the lock makes this rare): its copy counts, this one is dropped.
    if (err instanceof JournalConflictError) return;
    throw err;
  }
}
