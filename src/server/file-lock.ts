/**
 * A lock between processes that the kernel releases when its holder dies in any way (SIGKILL
 * included), so there is never a stale lock to clean up by hand.
 *
 * It is an exclusive SQLite transaction held open on a small database file: SQLite takes it with
 * fcntl() locks, which belong to the process and vanish with it.
 */
import Database from 'better-sqlite3';

export interface FileLock {
  release(): void;
}

/** Takes the lock on `file` (created if needed), or returns null at once if another process holds it. */
export function tryLockFile(file: string): FileLock | null {
  const db = new Database(file, { timeout: 0 });
  try {
    // Reading the journal mode already needs a shared lock, so it fails too while the lock is held.
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return null;
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
