/**
 * Remote mailbox anomalies (collector_anomalies) and the journal's view of what should still be
 * on the server. The server's LIST size is compared with the spooled size minus our Received
 * prefix (header_offset): both as received and with CRLF line ends, since servers differ.
 */
import type { MailboxAnomaly, MailboxAnomalyStore, OpenJournalEntry } from '../interfaces.js';
import type { Db } from './database.js';

const OPEN = 'j.mailbox_key = ? AND j.deleted_at IS NULL AND j.gone_at IS NULL';

export class SqliteMailboxAnomalyStore implements MailboxAnomalyStore {
  constructor(private readonly db: Db) {}

  async countOpen(mailboxKey: string): Promise<number> {
    return (this.db.prepare(`SELECT count(*) AS n FROM collector_journal j WHERE ${OPEN}`).get(mailboxKey) as { n: number }).n;
  }

  async open(mailboxKey: string): Promise<OpenJournalEntry[]> {
    const rows = this.db
      .prepare(
        `SELECT j.remote_id, j.dele_sent_at, s.size, s.wire_size, s.header_offset, i.message_id FROM collector_journal j
         JOIN spool s ON s.id = j.spool_id LEFT JOIN ingests i ON i.id = s.ingest_id WHERE ${OPEN}`,
      )
      .all(mailboxKey) as Array<{ remote_id: string; dele_sent_at: number | null; size: number; wire_size: number; header_offset: number; message_id: string | null }>;
    return rows.map((r) => ({
      remoteId: r.remote_id,
      sizes: [...new Set([r.size - r.header_offset, r.wire_size - r.header_offset])],
      messageId: r.message_id,
      deleSent: r.dele_sent_at !== null,
    }));
  }

  async record(a: MailboxAnomaly, gone: string[], aliases: Array<{ newId: string; oldId: string }>): Promise<void> {
    const db = this.db;
    db.transaction(() => {
      db.prepare('INSERT INTO collector_anomalies (mailbox_key, collector, kind, at, count, examples) VALUES (?, ?, ?, ?, ?, ?)').run(a.mailboxKey, a.collector, a.kind, a.at, a.count, JSON.stringify(a.examples));
      const markGone = db.prepare('UPDATE collector_journal SET gone_at = ? WHERE mailbox_key = ? AND remote_id = ? AND gone_at IS NULL');
      for (const id of gone) markGone.run(a.at, a.mailboxKey, id);
      // The alias shares the old row's spool entry and first_seen: known, delivered, and
      // leaveOnServerDays still counts from the first download.
      const alias = db.prepare(
        `INSERT OR IGNORE INTO collector_journal (mailbox_key, remote_id, collector, spool_id, first_seen)
         SELECT mailbox_key, ?, ?, spool_id, first_seen FROM collector_journal WHERE mailbox_key = ? AND remote_id = ?`,
      );
      for (const { newId, oldId } of aliases) {
        alias.run(newId, a.collector, a.mailboxKey, oldId);
        markGone.run(a.at, a.mailboxKey, oldId);
      }
    }).immediate();
  }

  async since(since: number): Promise<MailboxAnomaly[]> {
    const rows = this.db.prepare('SELECT mailbox_key, collector, kind, at, count, examples FROM collector_anomalies WHERE at >= ? ORDER BY at, id').all(since) as Array<{
      mailbox_key: string;
      collector: string;
      kind: MailboxAnomaly['kind'];
      at: number;
      count: number;
      examples: string;
    }>;
    return rows.map((r) => ({ mailboxKey: r.mailbox_key, collector: r.collector, kind: r.kind, at: r.at, count: r.count, examples: JSON.parse(r.examples) as string[] }));
  }

  async deleSent(mailboxKey: string, remoteIds: string[], at: number): Promise<void> {
    const stmt = this.db.prepare('UPDATE collector_journal SET dele_sent_at = ? WHERE mailbox_key = ? AND remote_id = ?');
    this.db.transaction(() => {
      for (const id of remoteIds) stmt.run(at, mailboxKey, id);
    }).immediate();
  }

  async unfetched(mailboxKey: string): Promise<string[]> {
    return (this.db.prepare('SELECT remote_id FROM collector_unfetched WHERE mailbox_key = ?').all(mailboxKey) as Array<{ remote_id: string }>).map((r) => r.remote_id);
  }

  async setUnfetched(mailboxKey: string, remoteIds: string[], at: number): Promise<void> {
    const add = this.db.prepare('INSERT OR IGNORE INTO collector_unfetched (mailbox_key, remote_id, seen_at) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM collector_unfetched WHERE mailbox_key = ?').run(mailboxKey);
      for (const id of remoteIds) add.run(mailboxKey, id, at);
    }).immediate();
  }
}
