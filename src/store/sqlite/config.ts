import { collectorSchema, listSchema, settingsSchema, type CollectorConfig, type ListConfig, type Settings } from '../../config/schema.js';
import type { AddressOwner, ConfigState, ConfigStore } from '../interfaces.js';
import type { Db } from './database.js';
import { bumpGeneration, insertUser, readUsers } from './users.js';

export class SqliteConfigStore implements ConfigStore {
  constructor(private readonly db: Db) {}

  private cached: { generation: number; settings: Settings } | null = null;

  async settings(): Promise<Settings> {
    // Every delivery asks; parsing the settings each time showed in profiles. Every change to
    // them bumps the generation (in the same transaction), so a cache keyed by it is exact.
    const generation = await this.generation();
    if (this.cached?.generation !== generation) this.cached = { generation, settings: this.readSettings() };
    return this.cached.settings;
  }

  async generation(): Promise<number> {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'config_generation'`).get() as { value: string };
    return Number(row.value);
  }

  async snapshot(): Promise<ConfigState> {
    return this.db.transaction(() => this.readState())();
  }

  async replace(plan: (current: ConfigState) => { next: ConfigState; changes: string[] }): Promise<string[]> {
    const tx = this.db.transaction(() => {
      const { next, changes } = plan(this.readState());
      if (changes.length > 0) {
        this.writeState(next);
        bumpGeneration(this.db);
      }
      return changes;
    });
    return tx.immediate();
  }

  async ownerOf(address: string): Promise<AddressOwner | undefined> {
    const row = this.db.prepare('SELECT owner_kind, owner FROM addresses WHERE address = ?').get(address) as
      | { owner_kind: 'user' | 'list'; owner: string }
      | undefined;
    return row ? { kind: row.owner_kind, name: row.owner } : undefined;
  }

  async list(name: string): Promise<ListConfig | undefined> {
    const row = this.db.prepare('SELECT config FROM lists WHERE name = ?').get(name) as { config: string } | undefined;
    return row ? (JSON.parse(row.config) as ListConfig) : undefined;
  }

  private readSettings(): Settings {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const raw: Record<string, unknown> = {};
    for (const r of rows) raw[r.key] = JSON.parse(r.value);
    // Parsing fills in defaults added by later versions for keys an older database lacks.
    return settingsSchema.parse(raw);
  }

  private readState(): ConfigState {
    const lists = (this.db.prepare('SELECT config FROM lists ORDER BY name').all() as Array<{ config: string }>).map(
      (r) => listSchema.parse(JSON.parse(r.config)),
    );
    // Parsed, not just read: keys added by later versions get their defaults.
    const collectors = (this.db.prepare('SELECT config FROM collectors ORDER BY position').all() as Array<{ config: string }>).map(
      (r): CollectorConfig => collectorSchema.parse(JSON.parse(r.config)),
    );
    return { settings: this.readSettings(), users: readUsers(this.db), lists, collectors };
  }

  private writeState(next: ConfigState): void {
    const db = this.db;
    db.prepare('DELETE FROM settings').run();
    const setting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
    for (const [k, v] of Object.entries(next.settings)) if (v !== undefined) setting.run(k, JSON.stringify(v));

    db.prepare('DELETE FROM addresses').run();
    db.prepare('DELETE FROM users').run();
    for (const u of next.users) insertUser(db, u);

    db.prepare('DELETE FROM lists').run();
    const list = db.prepare('INSERT INTO lists (name, config) VALUES (?, ?)');
    const listAddress = db.prepare(`INSERT INTO addresses (address, owner_kind, owner) VALUES (?, 'list', ?)`);
    for (const l of next.lists) {
      list.run(l.name, JSON.stringify(l));
      listAddress.run(l.address.toLowerCase(), l.name);
    }

    db.prepare('DELETE FROM collectors').run();
    const collector = db.prepare('INSERT INTO collectors (name, position, config) VALUES (?, ?, ?)');
    next.collectors.forEach((c, i) => collector.run(c.name, i, JSON.stringify(c)));
  }
}
