/** The message trace over SQLite: searching recent ingests, and what happened to one besides its copies. */
import type { ClientFetch, MessageTraceStore, OutboundItem, Source, TraceArrival, TraceIngest, TraceQuery, TraceSummary } from '../interfaces.js';
import type { Db } from './database.js';
import { sourceOf } from './held.js';
import { toItem as toOutboundItem, type OutboundRow } from './outbound.js';

interface IngestRow {
  id: number;
  received_at: number;
  source_kind: Source['kind'];
  source_name: string;
  remote_id: string | null;
  source_detail: string | null;
  sender: string | null;
  subject: string | null;
  message_id: string | null;
  envelope_from: string | null;
}

const INGEST_COLUMNS = 'i.id, i.received_at, i.source_kind, i.source_name, i.remote_id, i.source_detail, i.sender, i.subject, i.message_id, i.envelope_from';

// Recipients are local users (deliveries), external addresses (outbound) or, for a copy that was
// routed but not stored, the envelope addresses kept in the routing decision.
const TO = `(EXISTS (SELECT 1 FROM deliveries d WHERE d.ingest_id = i.id AND d.recipient LIKE @q ESCAPE '\\')
  OR EXISTS (SELECT 1 FROM outbound o WHERE o.ingest_id = i.id AND o.recipient LIKE @q ESCAPE '\\')
  OR i.routing LIKE @q ESCAPE '\\')`;
const FIELDS: Record<TraceQuery['field'], string> = {
  // The From: header, or the SMTP envelope sender (a bounce address, a list's).
  from: `(i.sender LIKE @q ESCAPE '\\' OR i.envelope_from LIKE @q ESCAPE '\\')`,
  subject: `i.subject LIKE @q ESCAPE '\\'`,
  messageId: `i.message_id LIKE @q ESCAPE '\\'`,
  to: TO,
  any: `(i.sender LIKE @q ESCAPE '\\' OR i.subject LIKE @q ESCAPE '\\' OR i.message_id LIKE @q ESCAPE '\\' OR ${TO})`,
};

/** A LIKE pattern matching `text` anywhere, its own % and _ taken literally. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class SqliteMessageTraceStore implements MessageTraceStore {
  constructor(private readonly db: Db) {}

  async search(q: TraceQuery): Promise<TraceSummary[]> {
    const where = q.text ? `AND ${FIELDS[q.field]}` : '';
    const rows = this.db
      .prepare(`SELECT ${INGEST_COLUMNS} FROM ingests i WHERE i.received_at >= @since ${where} ORDER BY i.received_at DESC, i.id DESC LIMIT @limit`)
      .all({ since: q.since, limit: q.limit, ...(q.text ? { q: contains(q.text) } : {}) }) as IngestRow[];
    return rows.map((r) => {
      const copies = this.db.prepare('SELECT recipient, outcome FROM deliveries WHERE ingest_id = ? ORDER BY id').all(r.id) as Array<{ recipient: string; outcome: string }>;
      const relayed = this.db.prepare('SELECT recipient, state AS outcome FROM outbound WHERE ingest_id = ? ORDER BY id').all(r.id) as typeof copies;
      const outcomes: Record<string, number> = {};
      for (const c of [...copies, ...relayed]) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
      return { ...toIngest(r), recipients: [...new Set([...copies, ...relayed].map((c) => c.recipient))], outcomes };
    });
  }

  async ingest(ingestId: number): Promise<TraceIngest | undefined> {
    const r = this.db.prepare(`SELECT ${INGEST_COLUMNS} FROM ingests i WHERE i.id = ?`).get(ingestId) as IngestRow | undefined;
    return r && toIngest(r);
  }

  async arrival(ingestId: number): Promise<TraceArrival> {
    const s = this.db.prepare('SELECT id, state, attempts, last_error FROM spool WHERE ingest_id = ? ORDER BY id LIMIT 1').get(ingestId) as
      | { id: number; state: 'pending' | 'done'; attempts: number; last_error: string | null }
      | undefined;
    const j = s
      ? (this.db.prepare('SELECT mailbox_key, remote_id, first_seen, deleted_at FROM collector_journal WHERE spool_id = ? ORDER BY first_seen LIMIT 1').get(s.id) as
          | { mailbox_key: string; remote_id: string; first_seen: number; deleted_at: number | null }
          | undefined)
      : undefined;
    return {
      spoolId: s?.id ?? null,
      spoolState: s?.state ?? null,
      attempts: s?.attempts ?? 0,
      lastError: s?.last_error ?? null,
      journal: j ? { mailboxKey: j.mailbox_key, remoteId: j.remote_id, firstSeen: j.first_seen, deletedAt: j.deleted_at } : null,
    };
  }

  async outbound(ingestId: number): Promise<OutboundItem[]> {
    return (this.db.prepare('SELECT * FROM outbound WHERE ingest_id = ? ORDER BY id').all(ingestId) as OutboundRow[]).map(toOutboundItem);
  }

  async fetches(blob: string, users: string[]): Promise<ClientFetch[]> {
    if (users.length === 0) return [];
    return this.db
      .prepare(`SELECT user, blob, protocol, client, at FROM client_fetches WHERE blob = ? AND user IN (${users.map(() => '?').join(', ')})`)
      .all(blob, ...users) as ClientFetch[];
  }

  async recordFetches(fetches: ClientFetch[]): Promise<void> {
    if (fetches.length === 0) return;
    const insert = this.db.prepare('INSERT OR IGNORE INTO client_fetches (user, blob, protocol, client, at) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const f of fetches) insert.run(f.user, f.blob, f.protocol, f.client, f.at);
    })();
  }
}

function toIngest(r: IngestRow): TraceIngest {
  return {
    ingestId: r.id,
    receivedAt: r.received_at,
    source: sourceOf(r.source_kind, r.source_name, r.remote_id, r.source_detail, r.envelope_from),
    from: r.sender,
    subject: r.subject,
    messageId: r.message_id,
  };
}
