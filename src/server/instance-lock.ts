/**
 * One server per data directory.
 *
 * The lock is an exclusive SQLite transaction held open on DATA/server.lock for the life of the
 * server. SQLite takes it with fcntl() locks, which the kernel drops when the process dies in any
 * way, SIGKILL included: no stale lock file to clean up by hand. DATA/server.pid says who holds it.
 */
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface InstanceLock {
  release(): void;
}

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export function acquireInstanceLock(dataDir: string): InstanceLock {
  const lockFile = path.join(dataDir, 'server.lock');
  const pidFile = path.join(dataDir, 'server.pid');
  const db = new Database(lockFile, { timeout: 0 });
  try {
    // Reading the journal mode already needs a shared lock, so it fails too while a server holds it.
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      const h = readHolder(dataDir);
      const who = h ? `process ${h.pid} on ${h.host}, started ${h.startedAt}` : 'another process';
      throw new UsageError(`another Postroom server is already running on ${dataDir} (${who}); stop it first, or use another --data directory`);
    }
    throw err;
  }
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  writeFileSync(pidFile, JSON.stringify(holder) + '\n');
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      rmSync(pidFile, { force: true });
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

export function readHolder(dataDir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'server.pid'), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}
