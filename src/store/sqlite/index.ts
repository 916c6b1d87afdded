import type { Store } from '../interfaces.js';
import { SqliteConfigStore } from './config.js';
import { openDatabase, type Db } from './database.js';
import { SqliteDeliveryStore } from './deliveries.js';
import { SqliteImapStore } from './imap.js';
import { SqliteMailboxStore } from './mailboxes.js';
import { SqliteMaildropStore } from './maildrop.js';
import { SqliteJournalStore } from './journal.js';
import { SqliteSpoolStore } from './spool.js';
import { SqliteUserStore } from './users.js';

/** The embedded default store: one SQLite file. */
export class SqliteStore implements Store {
  readonly db: Db;
  readonly users: SqliteUserStore;
  readonly mailboxes: SqliteMailboxStore;
  readonly deliveries: SqliteDeliveryStore;
  readonly spool: SqliteSpoolStore;
  readonly journal: SqliteJournalStore;
  readonly config: SqliteConfigStore;
  readonly maildrops: SqliteMaildropStore;
  readonly imap: SqliteImapStore;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.users = new SqliteUserStore(this.db);
    this.mailboxes = new SqliteMailboxStore(this.db);
    this.deliveries = new SqliteDeliveryStore(this.db);
    this.spool = new SqliteSpoolStore(this.db);
    this.journal = new SqliteJournalStore(this.db);
    this.config = new SqliteConfigStore(this.db);
    this.maildrops = new SqliteMaildropStore(this.db);
    this.imap = new SqliteImapStore(this.db);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
