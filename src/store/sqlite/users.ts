import { UsageError } from '../../errors.js';
import type { UserRecord, UserStore } from '../interfaces.js';
import type { Db } from './database.js';

interface UserRow {
  name: string;
  password_hash: string | null;
  admin: number;
  keep_deleted_days: number;
}

/** Reads users with their addresses; shared by the user store and the config store. */
export function readUsers(db: Db, where = '', ...params: unknown[]): UserRecord[] {
  const rows = db.prepare(`SELECT name, password_hash, admin, keep_deleted_days FROM users ${where} ORDER BY name`).all(...params) as UserRow[];
  const addrs = db.prepare(`SELECT address FROM addresses WHERE owner_kind = 'user' AND owner = ? ORDER BY position, address`);
  return rows.map((r) => ({
    name: r.name,
    passwordHash: r.password_hash,
    admin: r.admin === 1,
    keepDeletedDays: r.keep_deleted_days,
    addresses: (addrs.all(r.name) as Array<{ address: string }>).map((a) => a.address),
  }));
}

/** Inserts a user and its addresses; the caller holds the transaction. */
export function insertUser(db: Db, user: UserRecord): void {
  db.prepare('INSERT INTO users (name, password_hash, admin, keep_deleted_days) VALUES (?, ?, ?, ?)').run(user.name, user.passwordHash, user.admin ? 1 : 0, user.keepDeletedDays ?? 0);
  const add = db.prepare(`INSERT INTO addresses (address, owner_kind, owner, position) VALUES (?, 'user', ?, ?)`);
  user.addresses.forEach((a, i) => add.run(a.toLowerCase(), user.name, i));
}

export function bumpGeneration(db: Db): void {
  db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'config_generation'`).run();
}

export class SqliteUserStore implements UserStore {
  constructor(private readonly db: Db) {}

  async get(name: string): Promise<UserRecord | undefined> {
    return readUsers(this.db, 'WHERE name = ?', name)[0];
  }

  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const byName = readUsers(this.db, 'WHERE name = ?', login.toLowerCase())[0];
    if (byName) return byName;
    const row = this.db.prepare(`SELECT owner FROM addresses WHERE address = ? AND owner_kind = 'user'`).get(login) as { owner: string } | undefined;
    return row ? readUsers(this.db, 'WHERE name = ?', row.owner)[0] : undefined;
  }

  async list(): Promise<UserRecord[]> {
    return readUsers(this.db);
  }

  async add(user: UserRecord): Promise<void> {
    const tx = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM users WHERE name = ?').get(user.name)) throw new UsageError(`user "${user.name}" already exists`);
      for (const a of user.addresses) {
        const owner = this.db.prepare('SELECT owner_kind, owner FROM addresses WHERE address = ?').get(a) as { owner_kind: string; owner: string } | undefined;
        if (owner) throw new UsageError(`address ${a} already belongs to ${owner.owner_kind} "${owner.owner}"`);
      }
      insertUser(this.db, user);
      bumpGeneration(this.db);
    });
    tx.immediate();
  }

  async setPassword(name: string, passwordHash: string): Promise<void> {
    const tx = this.db.transaction(() => {
      const r = this.db.prepare('UPDATE users SET password_hash = ? WHERE name = ?').run(passwordHash, name);
      if (r.changes === 0) throw new UsageError(`no user named "${name}"`);
      bumpGeneration(this.db);
    });
    tx.immediate();
  }

  async remove(name: string): Promise<boolean> {
    const tx = this.db.transaction(() => {
      this.db.prepare(`DELETE FROM addresses WHERE owner_kind = 'user' AND owner = ?`).run(name);
      const r = this.db.prepare('DELETE FROM users WHERE name = ?').run(name);
      if (r.changes > 0) bumpGeneration(this.db);
      return r.changes > 0;
    });
    return tx.immediate();
  }
}
