/**
 * One server per data directory: a FileLock on DATA/server.lock for the life of the server, and
 * DATA/server.pid saying who holds it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { tryLockFile, type FileLock } from './file-lock.js';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export function acquireInstanceLock(dataDir: string): FileLock {
  const pidFile = path.join(dataDir, 'server.pid');
  const lock = tryLockFile(path.join(dataDir, 'server.lock'));
  if (!lock) {
    const h = readHolder(dataDir);
    const who = h ? `process ${h.pid} on ${h.host}, started ${h.startedAt}` : 'another process';
    throw new UsageError(`another Postroom server is already running on ${dataDir} (${who}); stop it first, or use another --data directory`);
  }
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  writeFileSync(pidFile, JSON.stringify(holder) + '\n');
  return {
    release() {
      rmSync(pidFile, { force: true });
      lock.release();
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
