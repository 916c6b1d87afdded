/**
 * The IMAP view of the store over SQLite: folders (this file) and messages (imap-messages.ts).
 * Standard folders are created on first use by ensureMailboxes, as everywhere else.
 */
import type { ImapAppendRecord, ImapCopyResult, ImapIndexEntry, ImapMailbox, ImapMailboxOutcome, ImapMailboxStore, ImapMessage } from '../interfaces.js';
import type { Db } from './database.js';
import { ImapMessageQueries } from './imap-messages.js';
import { ensureMailboxes, standardMailboxes } from './mailboxes.js';

interface MailboxRow {
  id: number;
  owner: string;
  name: string;
  special_use: string | null;
  subscribed: number;
  uid_validity: number;
  uid_next: number;
}

const COLUMNS = 'id, owner, name, special_use, subscribed, uid_validity, uid_next';
const isStandard = (name: string) => standardMailboxes.some((m) => m.name === name);

function toMailbox(r: MailboxRow): ImapMailbox {
  return { id: r.id, owner: r.owner, name: r.name, specialUse: r.special_use, subscribed: r.subscribed === 1, uidValidity: r.uid_validity, uidNext: r.uid_next };
}

export class SqliteImapStore implements ImapMailboxStore {
  private readonly msgs: ImapMessageQueries;

  constructor(private readonly db: Db) {
    this.msgs = new ImapMessageQueries(db);
  }

  async list(owner: string): Promise<ImapMailbox[]> {
    const rows = this.db
      .transaction(() => {
        ensureMailboxes(this.db, owner);
        return this.db.prepare(`SELECT ${COLUMNS} FROM mailboxes WHERE owner = ? ORDER BY id`).all(owner) as MailboxRow[];
      })
      .immediate();
    return rows.map(toMailbox);
  }

  async get(owner: string, name: string): Promise<ImapMailbox | undefined> {
    if (isStandard(name)) ensureMailboxes(this.db, owner);
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM mailboxes WHERE owner = ? AND name = ?`).get(owner, name) as MailboxRow | undefined;
    return row && toMailbox(row);
  }

  async create(owner: string, name: string): Promise<ImapMailboxOutcome> {
    return this.db
      .transaction((): ImapMailboxOutcome => {
        ensureMailboxes(this.db, owner);
        if (this.db.prepare('SELECT 1 FROM mailboxes WHERE owner = ? AND name = ?').get(owner, name)) return { ok: false, reason: 'exists' };
        this.db.prepare('INSERT INTO mailboxes (owner, name, special_use, uid_validity) VALUES (?, ?, NULL, ?)').run(owner, name, this.nextValidity());
        return { ok: true };
      })
      .immediate();
  }

  /** UIDVALIDITY from the clock, kept increasing, so a name created again never reuses one. */
  private nextValidity(): number {
    const max = (this.db.prepare('SELECT MAX(uid_validity) AS m FROM mailboxes').get() as { m: number | null }).m ?? 0;
    return Math.max(Math.floor(Date.now() / 1000), max + 1);
  }

  async delete(owner: string, name: string): Promise<ImapMailboxOutcome> {
    if (isStandard(name)) return { ok: false, reason: 'cannot' };
    return this.db
      .transaction((): ImapMailboxOutcome => {
        const box = this.db.prepare('SELECT id FROM mailboxes WHERE owner = ? AND name = ?').get(owner, name) as { id: number } | undefined;
        if (!box) return { ok: false, reason: 'nonexistent' };
        if (this.db.prepare(`SELECT 1 FROM mailboxes WHERE owner = ? AND substr(name, 1, ?) = ?`).get(owner, name.length + 1, name + '/')) {
          return { ok: false, reason: 'haschildren' };
        }
        this.db.prepare('UPDATE deliveries SET message_row = NULL WHERE message_row IN (SELECT id FROM messages WHERE mailbox_id = ?)').run(box.id);
        this.db.prepare('DELETE FROM messages WHERE mailbox_id = ?').run(box.id);
        this.db.prepare('DELETE FROM mailboxes WHERE id = ?').run(box.id);
        return { ok: true };
      })
      .immediate();
  }

  async rename(owner: string, from: string, to: string): Promise<ImapMailboxOutcome> {
    if (isStandard(from) || isStandard(to)) return { ok: false, reason: isStandard(to) ? 'exists' : 'cannot' };
    return this.db
      .transaction((): ImapMailboxOutcome => {
        const names = (this.db.prepare('SELECT name FROM mailboxes WHERE owner = ?').all(owner) as Array<{ name: string }>).map((r) => r.name);
        if (!names.includes(from)) return { ok: false, reason: 'nonexistent' };
        if (names.includes(to)) return { ok: false, reason: 'exists' };
        if (to.startsWith(from + '/')) return { ok: false, reason: 'cannot' };
        const update = this.db.prepare('UPDATE mailboxes SET name = ? WHERE owner = ? AND name = ?');
        for (const n of names) {
          if (n === from) update.run(to, owner, n);
          else if (n.startsWith(from + '/')) update.run(to + n.slice(from.length), owner, n);
        }
        return { ok: true };
      })
      .immediate();
  }

  async setSubscribed(owner: string, name: string, subscribed: boolean): Promise<ImapMailboxOutcome> {
    const r = this.db.prepare('UPDATE mailboxes SET subscribed = ? WHERE owner = ? AND name = ?').run(subscribed ? 1 : 0, owner, name);
    return r.changes > 0 ? { ok: true } : { ok: false, reason: 'nonexistent' };
  }

  async counts(mailboxId: number): Promise<{ messages: number; unseen: number; size: number }> {
    return this.db
      .prepare(
        `SELECT COUNT(*) AS messages,
                COALESCE(SUM(instr(' ' || flags || ' ', ' \\Seen ') = 0), 0) AS unseen,
                COALESCE(SUM(wire_size), 0) AS size
         FROM messages WHERE mailbox_id = ?`,
      )
      .get(mailboxId) as { messages: number; unseen: number; size: number };
  }

  async index(mailboxId: number): Promise<{ uidNext: number; entries: ImapIndexEntry[] }> {
    return this.msgs.index(mailboxId);
  }

  async stamp(mailboxId: number): Promise<string> {
    const r = this.db
      .prepare('SELECT uid_next AS n, (SELECT COUNT(*) FROM messages WHERE mailbox_id = ?) AS c FROM mailboxes WHERE id = ?')
      .get(mailboxId, mailboxId) as { n: number; c: number } | undefined;
    return r ? `${r.n}:${r.c}` : 'gone';
  }

  async messages(mailboxId: number, uids: number[]): Promise<ImapMessage[]> {
    return this.msgs.messages(mailboxId, uids);
  }

  async storeFlags(mailboxId: number, uids: number[], mode: 'replace' | 'add' | 'remove', flags: string[]): Promise<ImapIndexEntry[]> {
    return this.msgs.storeFlags(mailboxId, uids, mode, flags);
  }

  async expunge(mailboxId: number, uids?: number[]): Promise<number[]> {
    return this.msgs.expunge(mailboxId, uids);
  }

  async copy(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<ImapCopyResult> {
    return this.msgs.copy(fromMailboxId, uids, toMailboxId, false);
  }

  async move(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<ImapCopyResult> {
    return this.msgs.copy(fromMailboxId, uids, toMailboxId, true);
  }

  async append(mailboxId: number, message: ImapAppendRecord): Promise<{ uidValidity: number; uid: number }> {
    return this.msgs.append(mailboxId, message);
  }

  async structure(blob: string): Promise<string | undefined> {
    const r = this.db.prepare('SELECT structure FROM imap_structure WHERE blob = ?').get(blob) as { structure: string } | undefined;
    return r?.structure;
  }

  async blobsWithoutStructure(limit: number): Promise<Array<{ blob: string; size: number }>> {
    return this.db
      .prepare(
        `SELECT m.blob, MAX(m.size) AS size FROM messages m LEFT JOIN imap_structure s ON s.blob = m.blob
         WHERE s.blob IS NULL GROUP BY m.blob LIMIT ?`,
      )
      .all(limit) as Array<{ blob: string; size: number }>;
  }

  async saveStructures(entries: Array<{ blob: string; json: string }>): Promise<void> {
    const put = this.db.prepare('INSERT OR REPLACE INTO imap_structure (blob, structure) VALUES (?, ?)');
    // One transaction (one fsync) for a whole FETCH batch: the cache is rebuilt if a crash loses it.
    this.db.transaction(() => {
      for (const e of entries) put.run(e.blob, e.json);
    })();
  }
}
