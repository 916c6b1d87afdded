import type { MaildropMessage, MaildropSnapshot, Pop3MaildropStore } from '../interfaces.js';
import type { Db } from './database.js';
import { ensureMailboxes } from './mailboxes.js';

/** POP3 maildrops over SQLite: the INBOX row and its messages, and the Trash deletions may go to. */
export class SqliteMaildropStore implements Pop3MaildropStore {
  constructor(private readonly db: Db) {}

  async snapshot(owner: string): Promise<MaildropSnapshot> {
    const read = this.db.transaction(() => {
      ensureMailboxes(this.db, owner);
      const box = this.db.prepare(`SELECT id, uid_validity FROM mailboxes WHERE owner = ? AND name = 'INBOX'`).get(owner) as {
        id: number;
        uid_validity: number;
      };
      const messages = this.db
        .prepare('SELECT id, uid, blob, size, wire_size AS wireSize FROM messages WHERE mailbox_id = ? ORDER BY uid')
        .all(box.id) as MaildropMessage[];
      return { mailboxId: box.id, uidValidity: box.uid_validity, messages };
    });
    // IMMEDIATE only because ensureMailboxes may write; the read itself is one consistent snapshot.
    return read.immediate();
  }

  async expunge(mailboxId: number, messageIds: number[]): Promise<number> {
    if (messageIds.length === 0) return 0;
    const unlink = this.db.prepare('UPDATE deliveries SET message_row = NULL WHERE message_row = ?');
    const remove = this.db.prepare('DELETE FROM messages WHERE id = ? AND mailbox_id = ?');
    const run = this.db.transaction(() => {
      let removed = 0;
      for (const id of messageIds) {
        // Only rows of this mailbox: an id that moved elsewhere meanwhile is not ours to remove.
        if (!this.db.prepare('SELECT 1 FROM messages WHERE id = ? AND mailbox_id = ?').get(id, mailboxId)) continue;
        unlink.run(id);
        removed += remove.run(id, mailboxId).changes;
      }
      return removed;
    });
    return run.immediate();
  }

  async moveToTrash(mailboxId: number, messageIds: number[], at: number): Promise<number> {
    if (messageIds.length === 0) return 0;
    const run = this.db.transaction(() => {
      const { owner } = this.db.prepare('SELECT owner FROM mailboxes WHERE id = ?').get(mailboxId) as { owner: string };
      ensureMailboxes(this.db, owner);
      const trash = this.db.prepare(`SELECT id, uid_next FROM mailboxes WHERE owner = ? AND name = 'Trash'`).get(owner) as { id: number; uid_next: number };
      // The row moves (same id): its provenance in deliveries keeps pointing at it.
      const move = this.db.prepare('UPDATE messages SET mailbox_id = ?, uid = ?, trashed_at = ? WHERE id = ? AND mailbox_id = ?');
      let next = trash.uid_next;
      for (const id of messageIds) if (move.run(trash.id, next, at, id, mailboxId).changes > 0) next++;
      this.db.prepare('UPDATE mailboxes SET uid_next = ? WHERE id = ?').run(next, trash.id);
      return next - trash.uid_next;
    });
    return run.immediate();
  }

  async purgeTrash(now: number): Promise<Array<{ owner: string; uid: number; blob: string; trashedAt: number }>> {
    const run = this.db.transaction(() => {
      const due = this.db
        .prepare(
          `SELECT m.id, b.owner, m.uid, m.blob, m.trashed_at AS trashedAt FROM messages m
           JOIN mailboxes b ON b.id = m.mailbox_id AND b.name = 'Trash'
           JOIN users u ON u.name = b.owner
           WHERE m.trashed_at IS NOT NULL AND m.trashed_at <= ? - u.keep_deleted_days * 86400000`,
        )
        .all(now) as Array<{ id: number; owner: string; uid: number; blob: string; trashedAt: number }>;
      const unlink = this.db.prepare('UPDATE deliveries SET message_row = NULL WHERE message_row = ?');
      const remove = this.db.prepare('DELETE FROM messages WHERE id = ?');
      for (const m of due) {
        unlink.run(m.id);
        remove.run(m.id);
      }
      return due.map(({ id: _id, ...rest }) => rest);
    });
    return run.immediate();
  }
}
