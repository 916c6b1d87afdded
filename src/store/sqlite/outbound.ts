/**
 * The outbound queue over SQLite. Rows are inserted by the delivery transaction
 * (`insertOutbound`, called from deliveries.ts); the relay worker and `postroom queue` use the rest.
 */
import type { IngestRecord, OutboundItem, OutboundStore, OutboundSummary } from '../interfaces.js';
import type { Db } from './database.js';

export interface OutboundRow {
  id: number;
  ingest_id: number;
  blob: string;
  size: number;
  sender: string | null;
  recipient: string;
  state: OutboundItem['state'];
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_error: string | null;
  warned_at: number | null;
}

export const toItem = (r: OutboundRow): OutboundItem => ({
  id: r.id,
  ingestId: r.ingest_id,
  blob: r.blob,
  size: r.size,
  sender: r.sender,
  recipient: r.recipient,
  state: r.state,
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastError: r.last_error,
  warnedAt: r.warned_at,
});

/** Queues the ingest's external recipients; the caller holds the delivery transaction. */
export function insertOutbound(db: Db, ingestId: number, ingest: IngestRecord, now: number): void {
  if (!ingest.outbound) return;
  const insert = db.prepare(
    `INSERT INTO outbound (ingest_id, blob, size, sender, recipient, created_at, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ingest_id, recipient) DO NOTHING`,
  );
  for (const rcpt of new Set(ingest.outbound.recipients.map((a) => a.toLowerCase()))) {
    insert.run(ingestId, ingest.blob, ingest.size, ingest.outbound.sender, rcpt, now, now);
  }
}

export class SqliteOutboundStore implements OutboundStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<OutboundItem[]> {
    return (this.db.prepare(`SELECT * FROM outbound WHERE state != 'sent' ORDER BY id`).all() as OutboundRow[]).map(toItem);
  }

  async get(id: number): Promise<OutboundItem | undefined> {
    const r = this.db.prepare('SELECT * FROM outbound WHERE id = ?').get(id) as OutboundRow | undefined;
    return r ? toItem(r) : undefined;
  }

  async due(now: number, limit: number): Promise<OutboundItem[]> {
    return (
      this.db.prepare(`SELECT * FROM outbound WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?`).all(now, limit) as OutboundRow[]
    ).map(toItem);
  }

  async sent(ids: number[], response: string, at: number): Promise<void> {
    this.each(ids, `UPDATE outbound SET state = 'sent', attempts = attempts + 1, last_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'queued'`, at, response.slice(0, 1000));
  }

  async warned(ids: number[], at: number): Promise<void> {
    this.each(ids, 'UPDATE outbound SET warned_at = ? WHERE id = ? AND warned_at IS NULL', at);
  }

  async deferred(ids: number[], error: string, at: number, nextAttemptAt: number): Promise<void> {
    this.each(
      ids,
      `UPDATE outbound SET attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'queued'`,
      at,
      nextAttemptAt,
      error.slice(0, 1000),
    );
  }

  async failed(ids: number[], error: string, at: number): Promise<void> {
    this.each(ids, `UPDATE outbound SET state = 'failed', attempts = attempts + 1, last_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'queued'`, at, error.slice(0, 1000));
  }

  async retryNow(id: number, now: number): Promise<boolean> {
    return this.db.prepare(`UPDATE outbound SET next_attempt_at = ? WHERE id = ? AND state = 'queued'`).run(now, id).changes > 0;
  }

  async remove(id: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM outbound WHERE id = ?').run(id).changes > 0;
  }

  async summary(): Promise<OutboundSummary> {
    // One pass over the unsent rows (sent rows, the bulk over time, are skipped by the state index).
    const r = this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE state = 'queued') AS queued, count(*) FILTER (WHERE state = 'queued' AND attempts > 0) AS deferred,
                min(created_at) FILTER (WHERE state = 'queued') AS oldest, count(*) FILTER (WHERE state = 'failed') AS failed
         FROM outbound WHERE state IN ('queued', 'failed')`,
      )
      .get() as { queued: number; deferred: number; oldest: number | null; failed: number };
    return { queued: r.queued, deferred: r.deferred, oldestQueuedAt: r.oldest, failed: r.failed };
  }

  /** Runs one UPDATE per id in one transaction; the id is the statement's last parameter. */
  private each(ids: number[], sql: string, ...params: unknown[]): void {
    const stmt = this.db.prepare(sql);
    this.db.transaction(() => {
      for (const id of ids) stmt.run(...params, id);
    }).immediate();
  }
}
