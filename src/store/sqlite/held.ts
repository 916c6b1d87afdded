/**
 * Held copies: what sits in "Possible duplicates" because the dedupe policy was not sure. Release
 * and expiry change the folder and write a copy_events row in one transaction, so the story of a
 * copy never has a gap.
 */
import type { HeldCopy, HeldCopyStore, Source } from '../interfaces.js';
import type { Db } from './database.js';
import { HELD_MAILBOX, takeNextUid } from './mailboxes.js';

interface HeldRow {
  delivery_id: number;
  recipient: string;
  message_row: number;
  uid: number;
  blob: string;
  size: number;
  at: number;
  reason: string;
  ingest_id: number;
  message_id: string | null;
  subject: string | null;
  sender: string | null;
  source_kind: Source['kind'];
  source_name: string;
  remote_id: string | null;
  source_detail: string | null;
  uid_validity: number;
}

// A held copy is a 'held' delivery whose message row is still in "Possible duplicates".
const SELECT_HELD = `
  SELECT d.id AS delivery_id, d.recipient, d.message_row, m.uid, m.blob, m.size, d.at, d.reason, i.id AS ingest_id,
         i.message_id, i.subject, i.sender, i.source_kind, i.source_name, i.remote_id, i.source_detail, b.uid_validity
  FROM deliveries d
  JOIN messages m ON m.id = d.message_row
  JOIN mailboxes b ON b.id = m.mailbox_id AND b.name = '${HELD_MAILBOX}'
  JOIN ingests i ON i.id = d.ingest_id
  WHERE d.outcome = 'held'`;

export function sourceOf(kind: Source['kind'], name: string, remoteId: string | null, detail: string | null, envelopeFrom: string | null = null): Source {
  return {
    kind,
    name,
    ...(remoteId ? { remoteId } : {}),
    ...(detail ? { detail: JSON.parse(detail) as Record<string, unknown> } : {}),
    ...(envelopeFrom !== null ? { envelopeFrom } : {}),
  };
}

function toHeld(r: HeldRow): HeldCopy {
  return {
    deliveryId: r.delivery_id,
    user: r.recipient,
    uid: r.uid,
    blob: r.blob,
    size: r.size,
    heldAt: r.at,
    reason: r.reason,
    ingestId: r.ingest_id,
    messageId: r.message_id,
    subject: r.subject,
    from: r.sender,
    source: sourceOf(r.source_kind, r.source_name, r.remote_id, r.source_detail),
  };
}

export class SqliteHeldCopyStore implements HeldCopyStore {
  constructor(private readonly db: Db) {}

  async list(user?: string): Promise<HeldCopy[]> {
    const rows = user
      ? (this.db.prepare(`${SELECT_HELD} AND d.recipient = ? ORDER BY d.at, d.id`).all(user) as HeldRow[])
      : (this.db.prepare(`${SELECT_HELD} ORDER BY d.at, d.id`).all() as HeldRow[]);
    return rows.map(toHeld);
  }

  async get(deliveryId: number): Promise<HeldCopy | undefined> {
    const r = this.db.prepare(`${SELECT_HELD} AND d.id = ?`).get(deliveryId) as HeldRow | undefined;
    return r && toHeld(r);
  }

  async release(deliveryId: number, actor: string, at: number): Promise<{ uid: number; uidValidity: number } | undefined> {
    const db = this.db;
    const run = db.transaction(() => {
      const r = db.prepare(`${SELECT_HELD} AND d.id = ?`).get(deliveryId) as HeldRow | undefined;
      if (!r) return undefined;
      const inbox = takeNextUid(db, r.recipient, 'INBOX');
      // The same row moves (its provenance keeps pointing at it); a new UID, as IMAP MOVE gives.
      db.prepare('UPDATE messages SET mailbox_id = ?, uid = ? WHERE id = ?').run(inbox.id, inbox.uid, r.message_row);
      const detail = { from: { mailbox: HELD_MAILBOX, uid: r.uid, uidValidity: r.uid_validity }, to: { mailbox: 'INBOX', uid: inbox.uid, uidValidity: inbox.uidValidity } };
      insertEvent(db, deliveryId, 'released', at, actor, detail);
      return { uid: inbox.uid, uidValidity: inbox.uidValidity };
    });
    return run.immediate();
  }

  async expire(heldBefore: number, actor: string, at: number): Promise<HeldCopy[]> {
    const db = this.db;
    const run = db.transaction(() => {
      const rows = db.prepare(`${SELECT_HELD} AND d.at < ? ORDER BY d.at, d.id`).all(heldBefore) as HeldRow[];
      for (const r of rows) {
        db.prepare('UPDATE deliveries SET message_row = NULL WHERE message_row = ?').run(r.message_row);
        db.prepare('DELETE FROM messages WHERE id = ?').run(r.message_row);
        // The blob is not removed here: the event names it, so the bytes can still be found.
        insertEvent(db, r.delivery_id, 'expired', at, actor, { from: { mailbox: HELD_MAILBOX, uid: r.uid, uidValidity: r.uid_validity }, blob: r.blob, heldAt: r.at });
      }
      return rows;
    });
    return run.immediate().map(toHeld);
  }
}

function insertEvent(db: Db, deliveryId: number, kind: 'released' | 'expired', at: number, actor: string, detail: Record<string, unknown>): void {
  db.prepare('INSERT INTO copy_events (delivery_id, kind, at, actor, detail) VALUES (?, ?, ?, ?, ?)').run(deliveryId, kind, at, actor, JSON.stringify(detail));
}
