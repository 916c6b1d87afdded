import type { MailboxRecord, MailboxStore, MessageRecord } from '../interfaces.js';
import type { Db } from './database.js';

/** The folders every user has. "Possible duplicates" holds copies we were not sure about. */
export const standardMailboxes: Array<{ name: string; specialUse: string | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Possible duplicates', specialUse: null },
];
export const HELD_MAILBOX = 'Possible duplicates';

/**
 * Creates the standard folders of `owner` that are missing. UIDVALIDITY is taken from the clock
 * (seconds) and kept increasing, so a folder removed and created again never reuses one.
 */
export function ensureMailboxes(db: Db, owner: string): void {
  const existing = new Set((db.prepare('SELECT name FROM mailboxes WHERE owner = ?').all(owner) as Array<{ name: string }>).map((r) => r.name));
  if (standardMailboxes.every((m) => existing.has(m.name))) return;
  const maxRow = db.prepare('SELECT MAX(uid_validity) AS m FROM mailboxes').get() as { m: number | null };
  let validity = Math.max(Math.floor(Date.now() / 1000), (maxRow.m ?? 0) + 1);
  const insert = db.prepare('INSERT INTO mailboxes (owner, name, special_use, uid_validity) VALUES (?, ?, ?, ?)');
  for (const m of standardMailboxes) {
    if (!existing.has(m.name)) insert.run(owner, m.name, m.specialUse, validity++);
  }
}

/**
 * Takes the next UID of `owner`'s folder `name` in one statement (with the folder's id and
 * UIDVALIDITY). The user's standard folders are created the first time the folder is missing
 * (as at every IMAP or POP3 login), not checked for every message. `name` must be a standard folder.
 */
export function takeNextUid(db: Db, owner: string, name: string): { id: number; uid: number; uidValidity: number } {
  const take = () =>
    db
      .prepare('UPDATE mailboxes SET uid_next = uid_next + 1 WHERE owner = ? AND name = ? RETURNING id, uid_next - 1 AS uid, uid_validity AS uidValidity')
      .get(owner, name) as { id: number; uid: number; uidValidity: number } | undefined;
  const taken = take();
  if (taken) return taken;
  ensureMailboxes(db, owner);
  return take()!;
}

interface MessageRow {
  id: number;
  mailbox_id: number;
  uid: number;
  blob: string;
  size: number;
  wire_size: number;
  internal_date: number;
  flags: string;
  ingest_id: number;
  subject: string | null;
  sender: string | null;
  message_id: string | null;
}

export class SqliteMailboxStore implements MailboxStore {
  constructor(private readonly db: Db) {}

  async list(owner: string): Promise<MailboxRecord[]> {
    const rows = this.db
      .transaction(() => {
        ensureMailboxes(this.db, owner);
        return this.db
          .prepare(
            `SELECT b.id, b.owner, b.name, b.special_use, b.uid_validity, b.uid_next,
                    (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = b.id) AS count
             FROM mailboxes b WHERE owner = ? ORDER BY b.id`,
          )
          .all(owner) as Array<{ id: number; owner: string; name: string; special_use: string | null; uid_validity: number; uid_next: number; count: number }>;
      })
      .immediate();
    return rows.map((r) => ({
      id: r.id,
      owner: r.owner,
      name: r.name,
      specialUse: r.special_use,
      uidValidity: r.uid_validity,
      uidNext: r.uid_next,
      messageCount: r.count,
    }));
  }

  async messages(mailboxId: number): Promise<MessageRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT m.id, m.mailbox_id, m.uid, m.blob, m.size, m.wire_size, m.internal_date, m.flags, m.ingest_id,
                i.subject, i.sender, i.message_id
         FROM messages m JOIN ingests i ON i.id = m.ingest_id WHERE m.mailbox_id = ? ORDER BY m.uid`,
      )
      .all(mailboxId) as MessageRow[];
    return rows.map((r) => ({
      id: r.id,
      mailboxId: r.mailbox_id,
      uid: r.uid,
      blob: r.blob,
      size: r.size,
      wireSize: r.wire_size,
      internalDate: r.internal_date,
      flags: r.flags === '' ? [] : r.flags.split(' '),
      ingestId: r.ingest_id,
      subject: r.subject,
      from: r.sender,
      messageId: r.message_id,
    }));
  }
}
