/**
 * Message-level IMAP queries: the index, flags, expunge, copy/move and append. Flags are stored
 * as one space-separated text column, in the order first set.
 */
import type { ImapAppendRecord, ImapCopyResult, ImapIndexEntry, ImapMessage } from '../interfaces.js';
import type { Db } from './database.js';

const splitFlags = (f: string): string[] => (f === '' ? [] : f.split(' '));

/** SQLite caps host parameters; UID lists are sent in slices of this size. */
const SLICE = 500;

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += SLICE) out.push(items.slice(i, i + SLICE));
  return out;
}

export class ImapMessageQueries {
  constructor(private readonly db: Db) {}

  index(mailboxId: number): { uidNext: number; entries: ImapIndexEntry[] } {
    return this.db.transaction(() => {
      const box = this.db.prepare('SELECT uid_next FROM mailboxes WHERE id = ?').get(mailboxId) as { uid_next: number } | undefined;
      const rows = this.db.prepare('SELECT uid, flags FROM messages WHERE mailbox_id = ? ORDER BY uid').all(mailboxId) as Array<{ uid: number; flags: string }>;
      return { uidNext: box?.uid_next ?? 1, entries: rows.map((r) => ({ uid: r.uid, flags: splitFlags(r.flags) })) };
    })();
  }

  messages(mailboxId: number, uids: number[]): ImapMessage[] {
    const out: ImapMessage[] = [];
    for (const part of slices(uids)) {
      const rows = this.db
        .prepare(
          `SELECT uid, blob, size, wire_size AS wireSize, internal_date AS internalDate, flags FROM messages
           WHERE mailbox_id = ? AND uid IN (${part.map(() => '?').join(',')}) ORDER BY uid`,
        )
        .all(mailboxId, ...part) as Array<Omit<ImapMessage, 'flags'> & { flags: string }>;
      for (const r of rows) out.push({ ...r, flags: splitFlags(r.flags) });
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  storeFlags(mailboxId: number, uids: number[], mode: 'replace' | 'add' | 'remove', flags: string[]): ImapIndexEntry[] {
    const get = this.db.prepare('SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?');
    const set = this.db.prepare('UPDATE messages SET flags = ? WHERE mailbox_id = ? AND uid = ?');
    return this.db
      .transaction(() => {
        const out: ImapIndexEntry[] = [];
        for (const uid of uids) {
          const row = get.get(mailboxId, uid) as { flags: string } | undefined;
          if (!row) continue;
          const current = splitFlags(row.flags);
          let next: string[];
          if (mode === 'replace') next = [...new Set(flags)];
          else if (mode === 'add') next = [...current, ...flags.filter((f) => !current.includes(f))].filter((f, i, a) => a.indexOf(f) === i);
          else next = current.filter((f) => !flags.includes(f));
          const text = next.join(' ');
          if (text !== row.flags) set.run(text, mailboxId, uid);
          out.push({ uid, flags: next });
        }
        return out;
      })
      .immediate();
  }

  expunge(mailboxId: number, uids?: number[]): number[] {
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare(`SELECT id, uid FROM messages WHERE mailbox_id = ? AND instr(' ' || flags || ' ', ' \\Deleted ') > 0 ORDER BY uid`)
          .all(mailboxId) as Array<{ id: number; uid: number }>;
        const wanted = uids ? new Set(uids) : null;
        const unlink = this.db.prepare('UPDATE deliveries SET message_row = NULL WHERE message_row = ?');
        const remove = this.db.prepare('DELETE FROM messages WHERE id = ?');
        const removed: number[] = [];
        for (const r of rows) {
          if (wanted && !wanted.has(r.uid)) continue;
          unlink.run(r.id);
          remove.run(r.id);
          removed.push(r.uid);
        }
        return removed;
      })
      .immediate();
  }

  /** COPY, or MOVE when `move`: the provenance rows then follow the message to its new row. */
  copy(fromId: number, uids: number[], toId: number, move: boolean): ImapCopyResult {
    return this.db
      .transaction(() => {
        const target = this.db.prepare('SELECT uid_validity, uid_next FROM mailboxes WHERE id = ?').get(toId) as { uid_validity: number; uid_next: number };
        const sorted = [...uids].sort((a, b) => a - b);
        const read = this.db.prepare('SELECT id, uid, ingest_id, blob, size, wire_size, internal_date, flags FROM messages WHERE mailbox_id = ? AND uid = ?');
        const insert = this.db.prepare(
          'INSERT INTO messages (mailbox_id, uid, ingest_id, blob, size, wire_size, internal_date, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const repoint = this.db.prepare('UPDATE deliveries SET message_row = ? WHERE message_row = ?');
        const remove = this.db.prepare('DELETE FROM messages WHERE id = ?');
        let next = target.uid_next;
        const pairs: Array<[number, number]> = [];
        for (const uid of sorted) {
          const m = read.get(fromId, uid) as
            | { id: number; uid: number; ingest_id: number; blob: string; size: number; wire_size: number; internal_date: number; flags: string }
            | undefined;
          if (!m) continue;
          const newId = Number(insert.run(toId, next, m.ingest_id, m.blob, m.size, m.wire_size, m.internal_date, m.flags).lastInsertRowid);
          if (move) {
            repoint.run(newId, m.id);
            remove.run(m.id);
          }
          pairs.push([uid, next++]);
        }
        this.db.prepare('UPDATE mailboxes SET uid_next = ? WHERE id = ?').run(next, toId);
        return { uidValidity: target.uid_validity, pairs };
      })
      .immediate();
  }

  append(mailboxId: number, m: ImapAppendRecord): { uidValidity: number; uid: number } {
    return this.db
      .transaction(() => {
        const box = this.db.prepare('SELECT uid_validity, uid_next FROM mailboxes WHERE id = ?').get(mailboxId) as { uid_validity: number; uid_next: number };
        const ingestId = Number(
          this.db
            .prepare(
              `INSERT INTO ingests (received_at, source_kind, source_name, blob, size, wire_size, message_id, fingerprint, subject, sender, routing)
               VALUES (?, 'imap', ?, ?, ?, ?, ?, ?, ?, ?, 'null')`,
            )
            .run(Date.now(), m.origin, m.blob, m.size, m.wireSize, m.messageId, m.fingerprint, m.subject, m.from).lastInsertRowid,
        );
        this.db
          .prepare('INSERT INTO messages (mailbox_id, uid, ingest_id, blob, size, wire_size, internal_date, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(mailboxId, box.uid_next, ingestId, m.blob, m.size, m.wireSize, m.internalDate, [...new Set(m.flags)].join(' '));
        this.db.prepare('UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ?').run(mailboxId);
        return { uidValidity: box.uid_validity, uid: box.uid_next };
      })
      .immediate();
  }
}
