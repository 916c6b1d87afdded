/** Reading the stored story of copies (ingests + deliveries + copy_events) for diagnosis. */
import type { CopyEvent, CopyStory, DeliveryOutcome, ProvenanceStore, Source } from '../interfaces.js';
import type { Db } from './database.js';
import { sourceOf } from './held.js';

interface StoryRow {
  ingest_id: number;
  received_at: number;
  source_kind: Source['kind'];
  source_name: string;
  remote_id: string | null;
  source_detail: string | null;
  blob: string;
  size: number;
  message_id: string | null;
  fingerprint: string;
  subject: string | null;
  sender: string | null;
  routing: string | null;
  delivery_id: number;
  recipient: string;
  via: string;
  outcome: DeliveryOutcome;
  reason: string;
  at: number;
  mailbox: string | null;
  uid: number | null;
}

const SELECT_STORY = `
  SELECT i.id AS ingest_id, i.received_at, i.source_kind, i.source_name, i.remote_id, i.source_detail, i.blob, i.size,
         i.message_id, i.fingerprint, i.subject, i.sender, i.routing,
         d.id AS delivery_id, d.recipient, d.via, d.outcome, d.reason, d.at, b.name AS mailbox, m.uid
  FROM deliveries d
  JOIN ingests i ON i.id = d.ingest_id
  LEFT JOIN messages m ON m.id = d.message_row
  LEFT JOIN mailboxes b ON b.id = m.mailbox_id`;

export class SqliteProvenanceStore implements ProvenanceStore {
  constructor(private readonly db: Db) {}

  async copiesOf(user: string, match: { messageId?: string; fingerprints?: string[] }): Promise<CopyStory[]> {
    const conds: string[] = [];
    const args: unknown[] = [user];
    if (match.messageId) {
      conds.push('i.message_id = ?');
      args.push(match.messageId);
    }
    for (const f of match.fingerprints ?? []) {
      conds.push('i.fingerprint = ?');
      args.push(f);
    }
    if (conds.length === 0) return [];
    const rows = this.db.prepare(`${SELECT_STORY} WHERE d.recipient = ? AND (${conds.join(' OR ')}) ORDER BY d.at, d.id`).all(...args) as StoryRow[];
    return rows.map((r) => this.toStory(r));
  }

  async copyAt(user: string, mailbox: string, uid: number): Promise<CopyStory | undefined> {
    const r = this.db.prepare(`${SELECT_STORY} WHERE d.recipient = ? AND b.owner = ? AND b.name = ? AND m.uid = ?`).get(user, user, mailbox, uid) as StoryRow | undefined;
    return r && this.toStory(r);
  }

  async ofIngest(ingestId: number): Promise<CopyStory[]> {
    const rows = this.db.prepare(`${SELECT_STORY} WHERE d.ingest_id = ? ORDER BY d.id`).all(ingestId) as StoryRow[];
    return rows.map((r) => this.toStory(r));
  }

  async recent(since: number, outcomes: DeliveryOutcome[], limit: number): Promise<CopyStory[]> {
    if (outcomes.length === 0) return [];
    const rows = this.db
      .prepare(`${SELECT_STORY} WHERE d.at >= ? AND d.outcome IN (${outcomes.map(() => '?').join(', ')}) ORDER BY d.at, d.id LIMIT ?`)
      .all(since, ...outcomes, limit) as StoryRow[];
    return rows.map((r) => this.toStory(r));
  }

  async earlierMatch(copy: CopyStory): Promise<CopyStory | undefined> {
    // Like the ledger lookup, but over deliveries (a suppressed copy left no ledger row of its own),
    // preferring a copy with both keys equal: the one the dedupe policy's verdict rested on.
    const r = this.db
      .prepare(
        `${SELECT_STORY} WHERE d.recipient = ? AND d.id < ? AND d.outcome != 'suppressed'
         AND (i.fingerprint = ? OR (i.message_id IS NOT NULL AND i.message_id = ?))
         ORDER BY (i.fingerprint = ? AND i.message_id IS ?) DESC, d.id LIMIT 1`,
      )
      .get(copy.user, copy.deliveryId, copy.fingerprint, copy.messageId, copy.fingerprint, copy.messageId) as StoryRow | undefined;
    return r && this.toStory(r);
  }

  async collectorIngests(since: number, limit: number) {
    const rows = this.db
      .prepare(`SELECT id, source_kind, source_name, remote_id, source_detail, routing, blob FROM ingests WHERE source_kind = 'collector' AND received_at >= ? ORDER BY id DESC LIMIT ?`)
      .all(since, limit) as Array<{ id: number; source_kind: Source['kind']; source_name: string; remote_id: string | null; source_detail: string | null; routing: string | null; blob: string }>;
    return rows.map((r) => ({
      ingestId: r.id,
      source: sourceOf(r.source_kind, r.source_name, r.remote_id, r.source_detail),
      routing: r.routing ? (JSON.parse(r.routing) as unknown) : null,
      blob: r.blob,
    }));
  }

  async outcomeCounts(since: number): Promise<Record<DeliveryOutcome, number>> {
    const counts: Record<DeliveryOutcome, number> = { delivered: 0, held: 0, suppressed: 0 };
    // One range scan per outcome on the deliveries_outcome_at index; a GROUP BY would scan every row.
    const stmt = this.db.prepare('SELECT count(*) AS n FROM deliveries WHERE outcome = ? AND at >= ?');
    for (const outcome of Object.keys(counts) as DeliveryOutcome[]) counts[outcome] = (stmt.get(outcome, since) as { n: number }).n;
    return counts;
  }

  private toStory(r: StoryRow): CopyStory {
    const events = (
      this.db.prepare('SELECT delivery_id, kind, at, actor, detail FROM copy_events WHERE delivery_id = ? ORDER BY id').all(r.delivery_id) as Array<{
        delivery_id: number;
        kind: CopyEvent['kind'];
        at: number;
        actor: string;
        detail: string;
      }>
    ).map((e) => ({ deliveryId: e.delivery_id, kind: e.kind, at: e.at, actor: e.actor, detail: JSON.parse(e.detail) as Record<string, unknown> }));
    return {
      ingestId: r.ingest_id,
      receivedAt: r.received_at,
      source: sourceOf(r.source_kind, r.source_name, r.remote_id, r.source_detail),
      blob: r.blob,
      size: r.size,
      messageId: r.message_id,
      fingerprint: r.fingerprint,
      subject: r.subject,
      from: r.sender,
      routing: r.routing ? (JSON.parse(r.routing) as unknown) : null,
      deliveryId: r.delivery_id,
      user: r.recipient,
      via: r.via,
      outcome: r.outcome,
      reason: r.reason,
      at: r.at,
      mailbox: r.mailbox,
      uid: r.uid,
      events,
    };
  }
}
