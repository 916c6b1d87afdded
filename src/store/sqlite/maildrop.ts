import type { MaildropMessage, MaildropSnapshot, Pop3MaildropStore } from '../interfaces.js';
import type { Db } from './database.js';
import { ensureMailboxes } from './mailboxes.js';

/** POP3 maildrops over SQLite: the INBOX row and its messages. */
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
}
