/**
 * Opens the SQLite database (WAL, with a busy timeout so the CLI and a running server can write
 * side by side) and brings its schema up to date.
 */
import Database from 'better-sqlite3';
import { migrations } from './migrations.js';

export type Db = Database.Database;

/** Every commit waits for the disk (the WAL fsync'd), unless `withoutWaitingForDisk`. */
const SYNCHRONOUS = 'FULL';

/**
 * Runs `commit` (one transaction) with synchronous = NORMAL: in WAL mode its frames are written
 * without an fsync, and become durable with the next commit that waits (an fsync covers the whole
 * WAL). Only for rows whose loss in a power cut before that next commit is harmless (see
 * SpoolStore.addMany). better-sqlite3 is synchronous, so nothing else runs on this connection
 * meanwhile; the setting is restored whatever happens.
 */
export function withoutWaitingForDisk<T>(db: Db, commit: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return commit();
  } finally {
    db.pragma(`synchronous = ${SYNCHRONOUS}`);
  }
}

export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a committed delivery survives power loss, not just a process crash.
  db.pragma(`synchronous = ${SYNCHRONOUS}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 15000');
  // 8 MB of page cache (better-sqlite3's default is 16 MB): plenty for a small office, and it keeps
  // the server's peak RSS well under the 150 MB the pipeline benchmark allows.
  db.pragma('cache_size = -8000');
  migrate(db);
  cacheStatements(db);
  return db;
}

/**
 * Makes `db.prepare(sql)` return the same statement for the same SQL. The store prepares its
 * statements where it uses them, which keeps the code readable; compiling them again on every
 * delivery showed in profiles. Safe because no code here iterates a statement or changes its mode
 * (pluck/raw/expand), so a statement is never in use twice at once.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  }) as Db['prepare'];
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
