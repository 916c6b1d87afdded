import type { CollectorJournalStore, JournalEntry } from '../interfaces.js';
import type { Db } from './database.js';

export class SqliteJournalStore implements CollectorJournalStore {
  constructor(private readonly db: Db) {}

  async lookup(mailboxKey: string, remoteIds: string[]): Promise<Map<string, JournalEntry>> {
    const out = new Map<string, JournalEntry>();
    const stmt = this.db.prepare(
      `SELECT j.remote_id, j.spool_id, j.first_seen, j.deleted_at, s.state FROM collector_journal j
       JOIN spool s ON s.id = j.spool_id WHERE j.mailbox_key = ? AND j.remote_id = ?`,
    );
    const read = this.db.transaction(() => {
      for (const id of remoteIds) {
        const r = stmt.get(mailboxKey, id) as { remote_id: string; spool_id: number; first_seen: number; deleted_at: number | null; state: string } | undefined;
        if (r) out.set(id, { remoteId: r.remote_id, spoolId: r.spool_id, delivered: r.state === 'done', firstSeen: r.first_seen, deletedAt: r.deleted_at });
      }
    });
    read();
    return out;
  }

  async markDeleted(mailboxKey: string, remoteIds: string[], at: number): Promise<void> {
    const stmt = this.db.prepare('UPDATE collector_journal SET deleted_at = ? WHERE mailbox_key = ? AND remote_id = ? AND deleted_at IS NULL');
    this.db.transaction(() => {
      for (const id of remoteIds) stmt.run(at, mailboxKey, id);
    }).immediate();
  }
}
