/**
 * Opens the SQLite database (WAL, with a busy timeout so the CLI and a running server can write
 * side by side) and brings its schema up to date.
 */
import Database from 'better-sqlite3';
import { migrations } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a committed delivery survives power loss, not just a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 15000');
  // 8 MB of page cache (better-sqlite3's default is 16 MB): plenty for a small office, and it keeps
  // the server's peak RSS well under the 150 MB the pipeline benchmark allows.
  db.pragma('cache_size = -8000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < migrations.length; v++) {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  apply.immediate();
}
