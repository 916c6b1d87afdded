import { JournalConflictError } from '../errors.js';
import type { JournalKey, NewSpoolEntry, SpoolEntry, SpoolStore } from '../interfaces.js';
import { withoutWaitingForDisk, type Db } from './database.js';

interface SpoolRow {
  id: number;
  received_at: number;
  source: string;
  routing: string;
  blob: string;
  size: number;
  wire_size: number;
  header_offset: number;
  header_length: number;
  body_hash: string;
  state: 'pending' | 'done';
  attempts: number;
  last_error: string | null;
  ingest_id: number | null;
}

/** Writes one spool row inside the caller's transaction (the delivery store's `spawn`). */
export function insertSpoolRow(db: Db, e: NewSpoolEntry): number {
  return Number(
    db
      .prepare(
        `INSERT INTO spool (received_at, source, routing, blob, size, wire_size, header_offset, header_length, body_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.receivedAt, JSON.stringify(e.source), JSON.stringify(e.routing), e.blob, e.size, e.wireSize, e.headerOffset, e.headerLength, e.bodyHash).lastInsertRowid,
  );
}

export class SqliteSpoolStore implements SpoolStore {
  constructor(private readonly db: Db) {}

  async add(e: NewSpoolEntry, journal?: JournalKey): Promise<number> {
    const [id] = await this.addMany([{ entry: e, ...(journal ? { journal } : {}) }]);
    if (id === null || id === undefined) {
      const existing = this.db.prepare('SELECT spool_id FROM collector_journal WHERE mailbox_key = ? AND remote_id = ?').get(journal!.mailboxKey, journal!.remoteId) as { spool_id: number };
      throw new JournalConflictError(journal!, existing.spool_id);
    }
    return id;
  }

  async addMany(entries: Array<{ entry: NewSpoolEntry; journal?: JournalKey }>, options?: { deferSync?: boolean }): Promise<Array<number | null>> {
    const known = this.db.prepare('SELECT 1 FROM collector_journal WHERE mailbox_key = ? AND remote_id = ?');
    const insert = this.db.prepare(
      `INSERT INTO spool (received_at, source, routing, blob, size, wire_size, header_offset, header_length, body_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const journalRow = this.db.prepare('INSERT INTO collector_journal (mailbox_key, remote_id, collector, spool_id, first_seen) VALUES (?, ?, ?, ?, ?)');
    const tx = this.db.transaction(() =>
      entries.map(({ entry: e, journal }) => {
        if (journal && known.get(journal.mailboxKey, journal.remoteId)) return null;
        const id = Number(
          insert.run(e.receivedAt, JSON.stringify(e.source), JSON.stringify(e.routing), e.blob, e.size, e.wireSize, e.headerOffset, e.headerLength, e.bodyHash).lastInsertRowid,
        );
        if (journal) journalRow.run(journal.mailboxKey, journal.remoteId, journal.collector, id, e.receivedAt);
        return id;
      }),
    );
    return options?.deferSync ? withoutWaitingForDisk(this.db, () => tx.immediate()) : tx.immediate();
  }

  async get(id: number): Promise<SpoolEntry | undefined> {
    const r = this.db.prepare('SELECT * FROM spool WHERE id = ?').get(id) as SpoolRow | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      receivedAt: r.received_at,
      source: JSON.parse(r.source) as SpoolEntry['source'],
      routing: JSON.parse(r.routing) as unknown,
      blob: r.blob,
      size: r.size,
      wireSize: r.wire_size,
      headerOffset: r.header_offset,
      headerLength: r.header_length,
      bodyHash: r.body_hash,
      state: r.state,
      attempts: r.attempts,
      lastError: r.last_error,
      ingestId: r.ingest_id,
    };
  }

  async pending(now: number, graceMs: number, limit: number): Promise<number[]> {
    // Back off exponentially with the number of failed attempts: grace × 2^attempts (capped).
    const rows = this.db
      .prepare(`SELECT id FROM spool WHERE state = 'pending' AND received_at + ? * (1 << MIN(attempts, 10)) < ? ORDER BY id LIMIT ?`)
      .all(graceMs, now, limit) as Array<{ id: number }>;
    return rows.map((r) => r.id);
  }

  async failed(id: number, error: string): Promise<void> {
    this.db.prepare(`UPDATE spool SET attempts = attempts + 1, last_error = ? WHERE id = ? AND state = 'pending'`).run(error.slice(0, 2000), id);
  }
}

