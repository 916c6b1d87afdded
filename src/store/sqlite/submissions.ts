import type { SubmissionKey, SubmissionStore } from '../interfaces.js';
import type { Db } from './database.js';

/** The submission ledger over SQLite: check and record in one IMMEDIATE transaction. */
export class SqliteSubmissionStore implements SubmissionStore {
  constructor(private readonly db: Db) {}

  async claim(key: SubmissionKey, spoolId: number, at: number, windowStart: number): Promise<{ spoolId: number; at: number } | null> {
    const db = this.db;
    const run = db.transaction(() => {
      // Claimed before (the spool runner re-checks leftovers): this entry is the recorded one.
      if (this.isRecorded(spoolId)) return null;
      const earlier = db
        .prepare(
          `SELECT spool_id AS spoolId, at FROM submissions
           WHERE user = ? AND message_id = ? AND content_hash = ? AND envelope = ? AND at >= ? AND spool_id != ?
           ORDER BY at LIMIT 1`,
        )
        .get(key.user, key.messageId, key.contentHash, key.envelope, windowStart, spoolId) as { spoolId: number; at: number } | undefined;
      if (earlier) {
        db.prepare(`UPDATE spool SET state = 'done', last_error = ? WHERE id = ? AND state = 'pending'`).run(
          `resend of spool entry ${earlier.spoolId}: not delivered again`,
          spoolId,
        );
        return earlier;
      }
      db.prepare('INSERT INTO submissions (user, message_id, content_hash, envelope, spool_id, at) VALUES (?, ?, ?, ?, ?, ?)').run(
        key.user,
        key.messageId,
        key.contentHash,
        key.envelope,
        spoolId,
        at,
      );
      return null;
    });
    // IMMEDIATE: two connections resending at once cannot both find "nothing yet".
    return run.immediate();
  }

  async recorded(spoolId: number): Promise<boolean> {
    return this.isRecorded(spoolId);
  }

  private isRecorded(spoolId: number): boolean {
    return this.db.prepare('SELECT 1 FROM submissions WHERE spool_id = ?').get(spoolId) !== undefined;
  }
}
