import type { DeliverOutcome, DeliveryRequest, DeliveryResult, DeliveryStore, IngestRecord, LedgerMatch, RecipientDelivery } from '../interfaces.js';
import type { Db } from './database.js';
import { HELD_MAILBOX, takeNextUid } from './mailboxes.js';
import { insertOutbound } from './outbound.js';
import { insertSpoolRow } from './spool.js';

export class SqliteDeliveryStore implements DeliveryStore {
  constructor(private readonly db: Db) {}

  async deliver(ingest: IngestRecord, recipients: RecipientDelivery[], windowStart: number, spoolId?: number): Promise<DeliverOutcome> {
    return (await this.deliverMany([{ ingest, recipients, windowStart, spoolId }]))[0]!;
  }

  async deliverMany(items: DeliveryRequest[]): Promise<DeliverOutcome[]> {
    // IMMEDIATE: take the write lock before reading the ledger, so two processes delivering the
    // same message cannot both see "not yet delivered". One transaction for the whole batch: one
    // fsync for many messages, and each item sees the ledger rows of the items before it.
    return this.db.transaction(() => items.map((item) => this.deliverInTransaction(item))).immediate();
  }

  private deliverInTransaction({ ingest, recipients, windowStart, spoolId, spawn }: DeliveryRequest): DeliverOutcome {
    const db = this.db;
    if (spoolId !== undefined) {
      const row = db.prepare('SELECT state, ingest_id FROM spool WHERE id = ?').get(spoolId) as { state: string; ingest_id: number | null } | undefined;
      if (!row) throw new Error(`spool entry ${spoolId} does not exist`);
      if (row.state === 'done') return { ingestId: row.ingest_id!, results: this.resultsOf(row.ingest_id!), alreadyDone: true };
    }
    const ingestId = Number(
      db
        .prepare(
          `INSERT INTO ingests (received_at, source_kind, source_name, remote_id, source_detail, blob, size, wire_size,
                                message_id, fingerprint, subject, sender, routing, envelope_from)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          ingest.receivedAt,
          ingest.source.kind,
          ingest.source.name,
          ingest.source.remoteId ?? null,
          ingest.source.detail ? JSON.stringify(ingest.source.detail) : null,
          ingest.blob,
          ingest.size,
          ingest.wireSize,
          ingest.messageId,
          ingest.fingerprint,
          ingest.subject,
          ingest.from,
          JSON.stringify(ingest.routing ?? null),
          ingest.source.envelopeFrom ?? null,
        ).lastInsertRowid,
    );
    const results: DeliveryResult[] = [];
    for (const r of recipients) results.push(this.deliverOne(ingestId, ingest, r, windowStart));
    insertOutbound(db, ingestId, ingest, Date.now());
    if (spoolId !== undefined) db.prepare(`UPDATE spool SET state = 'done', ingest_id = ? WHERE id = ?`).run(ingestId, spoolId);
    const spawned = (spawn ?? []).map((e) => insertSpoolRow(db, e));
    return { ingestId, results, alreadyDone: false, spawned };
  }

  private deliverOne(ingestId: number, ingest: IngestRecord, r: RecipientDelivery, windowStart: number): DeliveryResult {
    const db = this.db;
    const matches = db
      .prepare(
        `SELECT delivery_id AS deliveryId, message_id AS messageId, fingerprint, at FROM ledger
         WHERE recipient = ? AND at >= ? AND (fingerprint = ? OR (message_id IS NOT NULL AND message_id = ?))
         ORDER BY at`,
      )
      .all(r.user, windowStart, ingest.fingerprint, ingest.messageId) as LedgerMatch[];
    const { outcome, reason } = r.decide(matches);
    const at = Date.now();
    let messageRow: number | null = null;
    let mailbox: string | null = null;
    let uid: number | null = null;
    if (outcome !== 'suppressed') {
      mailbox = outcome === 'held' ? HELD_MAILBOX : 'INBOX';
      const box = takeNextUid(db, r.user, mailbox);
      uid = box.uid;
      messageRow = Number(
        db
          .prepare(
            `INSERT INTO messages (mailbox_id, uid, ingest_id, blob, size, wire_size, internal_date, flags)
             VALUES (?, ?, ?, ?, ?, ?, ?, '')`,
          )
          .run(box.id, uid, ingestId, ingest.blob, ingest.size, ingest.wireSize, ingest.receivedAt).lastInsertRowid,
      );
    }
    const deliveryId = Number(
      db
        .prepare('INSERT INTO deliveries (ingest_id, recipient, via, outcome, reason, message_row, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(ingestId, r.user, r.via, outcome, reason, messageRow, at).lastInsertRowid,
    );
    if (outcome !== 'suppressed') {
      db.prepare('INSERT INTO ledger (recipient, message_id, fingerprint, at, delivery_id) VALUES (?, ?, ?, ?, ?)').run(
        r.user,
        ingest.messageId,
        ingest.fingerprint,
        at,
        deliveryId,
      );
    }
    return { user: r.user, outcome, reason, deliveryId, mailbox, uid };
  }

  private resultsOf(ingestId: number): DeliveryResult[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, d.recipient, d.outcome, d.reason, b.name AS mailbox, m.uid FROM deliveries d
         LEFT JOIN messages m ON m.id = d.message_row LEFT JOIN mailboxes b ON b.id = m.mailbox_id
         WHERE d.ingest_id = ? ORDER BY d.id`,
      )
      .all(ingestId) as Array<{ id: number; recipient: string; outcome: DeliveryResult['outcome']; reason: string; mailbox: string | null; uid: number | null }>;
    return rows.map((r) => ({ user: r.recipient, outcome: r.outcome, reason: r.reason, deliveryId: r.id, mailbox: r.mailbox, uid: r.uid }));
  }

  async hasMessageId(user: string, messageId: string, since: number): Promise<boolean> {
    return !!this.db.prepare('SELECT 1 FROM ledger WHERE recipient = ? AND message_id = ? AND at >= ? LIMIT 1').get(user, messageId, since);
  }

  async deliveriesOf(ingestId: number) {
    return this.db
      .prepare('SELECT recipient AS user, outcome, reason, via, at FROM deliveries WHERE ingest_id = ? ORDER BY id')
      .all(ingestId) as Array<{ user: string; outcome: 'delivered' | 'held' | 'suppressed'; reason: string; via: string; at: number }>;
  }
}
