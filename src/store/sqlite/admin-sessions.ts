import type { AdminSession, AdminSessionStore } from '../interfaces.js';
import type { Db } from './database.js';

interface Row {
  user: string;
  kind: 'browser' | 'api';
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** Admin sessions and API tokens, keyed by the sha256 of the token (see AdminSessionStore). */
export class SqliteAdminSessionStore implements AdminSessionStore {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, session: AdminSession): Promise<void> {
    this.db
      .prepare('INSERT INTO admin_sessions (token_hash, user, kind, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(tokenHash, session.user, session.kind, session.createdAt, session.lastSeenAt, session.expiresAt);
  }

  async find(tokenHash: string, now: number): Promise<AdminSession | undefined> {
    const r = this.db.prepare('SELECT user, kind, created_at, last_seen_at, expires_at FROM admin_sessions WHERE token_hash = ? AND expires_at > ?').get(tokenHash, now) as Row | undefined;
    return r ? { user: r.user, kind: r.kind, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at } : undefined;
  }

  async touch(tokenHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    this.db.prepare('UPDATE admin_sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?').run(lastSeenAt, expiresAt, tokenHash);
  }

  async remove(tokenHash: string): Promise<void> {
    this.db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?').run(tokenHash);
  }

  async removeUser(user: string, exceptTokenHash?: string): Promise<number> {
    return this.db.prepare('DELETE FROM admin_sessions WHERE user = ? AND token_hash IS NOT ?').run(user, exceptTokenHash ?? null).changes;
  }

  async purgeExpired(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?').run(now).changes;
  }
}
