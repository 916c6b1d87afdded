import type { Store } from '../interfaces.js';
import { SqliteAdminSessionStore } from './admin-sessions.js';
import { SqliteConfigStore } from './config.js';
import { openDatabase, type Db } from './database.js';
import { SqliteDeliveryStore } from './deliveries.js';
import { SqliteImapStore } from './imap.js';
import { SqliteMailboxStore } from './mailboxes.js';
import { SqliteOutboundStore } from './outbound.js';
import { SqliteSubmissionStore } from './submissions.js';
import { SqliteMaildropStore } from './maildrop.js';
import { SqliteJournalStore } from './journal.js';
import { SqliteSpoolStore } from './spool.js';
import { SqliteUserStore } from './users.js';
import { SqliteHeldCopyStore } from './held.js';
import { SqliteProvenanceStore } from './provenance.js';
import { SqliteMailboxAnomalyStore } from './anomalies.js';
import { SqliteMessageTraceStore } from './trace.js';
import type { StoreHealth } from '../interfaces.js';

/** The embedded default store: one SQLite file. */
export class SqliteStore implements Store {
  readonly db: Db;
  readonly users: SqliteUserStore;
  readonly mailboxes: SqliteMailboxStore;
  readonly deliveries: SqliteDeliveryStore;
  readonly spool: SqliteSpoolStore;
  readonly journal: SqliteJournalStore;
  readonly outbound: SqliteOutboundStore;
  readonly submissions: SqliteSubmissionStore;
  readonly config: SqliteConfigStore;
  readonly adminSessions: SqliteAdminSessionStore;
  readonly maildrops: SqliteMaildropStore;
  readonly imap: SqliteImapStore;
  readonly held: SqliteHeldCopyStore;
  readonly provenance: SqliteProvenanceStore;
  readonly health: StoreHealth;
  readonly anomalies: SqliteMailboxAnomalyStore;
  readonly trace: SqliteMessageTraceStore;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.users = new SqliteUserStore(this.db);
    this.mailboxes = new SqliteMailboxStore(this.db);
    this.deliveries = new SqliteDeliveryStore(this.db);
    this.spool = new SqliteSpoolStore(this.db);
    this.journal = new SqliteJournalStore(this.db);
    this.outbound = new SqliteOutboundStore(this.db);
    this.submissions = new SqliteSubmissionStore(this.db);
    this.config = new SqliteConfigStore(this.db);
    this.adminSessions = new SqliteAdminSessionStore(this.db);
    this.maildrops = new SqliteMaildropStore(this.db);
    this.imap = new SqliteImapStore(this.db);
    this.held = new SqliteHeldCopyStore(this.db);
    this.provenance = new SqliteProvenanceStore(this.db);
    this.anomalies = new SqliteMailboxAnomalyStore(this.db);
    this.trace = new SqliteMessageTraceStore(this.db);
    this.health = {
      integrity: async () => (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).filter((r) => r !== 'ok'),
    };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
