/**
 * Schema migrations, applied in order; `PRAGMA user_version` counts how many ran.
 * Append new entries; never edit one that has shipped.
 */
export const migrations: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO meta (key, value) VALUES ('config_generation', '0');
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT,
    admin INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE addresses (
    address TEXT PRIMARY KEY COLLATE NOCASE,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'list')),
    owner TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX addresses_owner ON addresses (owner_kind, owner);
  CREATE TABLE lists (name TEXT PRIMARY KEY, config TEXT NOT NULL);
  CREATE TABLE collectors (name TEXT PRIMARY KEY, position INTEGER NOT NULL, config TEXT NOT NULL);

  -- Mailboxes belong to a user name, not to a users row: removing a login never removes mail.
  CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    special_use TEXT,
    uid_validity INTEGER NOT NULL,
    uid_next INTEGER NOT NULL DEFAULT 1,
    subscribed INTEGER NOT NULL DEFAULT 1,
    UNIQUE (owner, name)
  );

  CREATE TABLE ingests (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    remote_id TEXT,
    source_detail TEXT,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    wire_size INTEGER NOT NULL,
    message_id TEXT,
    fingerprint TEXT NOT NULL,
    subject TEXT,
    sender TEXT,
    routing TEXT
  );
  CREATE INDEX ingests_message_id ON ingests (message_id);
  CREATE INDEX ingests_received ON ingests (received_at);

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id),
    uid INTEGER NOT NULL,
    ingest_id INTEGER NOT NULL REFERENCES ingests (id),
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    wire_size INTEGER NOT NULL,
    internal_date INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    UNIQUE (mailbox_id, uid)
  );
  CREATE INDEX messages_blob ON messages (blob);

  -- One row per recipient per ingest: the provenance of every copy, delivered, held or suppressed.
  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    ingest_id INTEGER NOT NULL REFERENCES ingests (id),
    recipient TEXT NOT NULL,
    via TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'held', 'suppressed')),
    reason TEXT NOT NULL,
    message_row INTEGER REFERENCES messages (id),
    at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_ingest ON deliveries (ingest_id);

  -- The dedupe ledger: what each recipient already got, written in the same transaction as the copy.
  CREATE TABLE ledger (
    recipient TEXT NOT NULL,
    message_id TEXT,
    fingerprint TEXT NOT NULL,
    at INTEGER NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id)
  );
  CREATE INDEX ledger_message_id ON ledger (recipient, message_id, at);
  CREATE INDEX ledger_fingerprint ON ledger (recipient, fingerprint, at);
  `,
  // 2: the durable spool. A message is acknowledged to its source once its row is here; the
  // pipeline then routes and delivers it, marking the row done in the delivery transaction.
  `
  CREATE TABLE spool (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    routing TEXT NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    wire_size INTEGER NOT NULL,
    header_offset INTEGER NOT NULL,
    header_length INTEGER NOT NULL,
    body_hash TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    ingest_id INTEGER REFERENCES ingests (id)
  );
  CREATE INDEX spool_pending ON spool (state, received_at);
  `,
  // 3: the collectors' journal: which remote message (UIDL, or UIDVALIDITY:UID) became which spool
  // entry, written in the same transaction as the spool row; and when its deletion was confirmed.
  `
  CREATE TABLE collector_journal (
    mailbox_key TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    collector TEXT NOT NULL,
    spool_id INTEGER NOT NULL REFERENCES spool (id),
    first_seen INTEGER NOT NULL,
    deleted_at INTEGER,
    PRIMARY KEY (mailbox_key, remote_id)
  );
  CREATE INDEX collector_journal_spool ON collector_journal (spool_id);
  `,
  // 4: IMAP: the MIME structure of each blob (ENVELOPE, BODYSTRUCTURE and the byte ranges of every
  // part), computed once on first FETCH and shared by every copy of the blob.
  `
  CREATE TABLE imap_structure (blob TEXT PRIMARY KEY, structure TEXT NOT NULL);
  `,
  // SMTP: the submission ledger (a client's silent resend of a message is accepted once) and the
  // outbound queue, one row per external recipient, written in the delivery transaction.
  `
  CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    message_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    envelope TEXT NOT NULL,
    spool_id INTEGER NOT NULL REFERENCES spool (id),
    at INTEGER NOT NULL
  );
  CREATE INDEX submissions_key ON submissions (user, message_id, content_hash, envelope, at);

  CREATE TABLE outbound (
    id INTEGER PRIMARY KEY,
    ingest_id INTEGER NOT NULL REFERENCES ingests (id),
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    sender TEXT,
    recipient TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_error TEXT,
    UNIQUE (ingest_id, recipient)
  );
  CREATE INDEX outbound_due ON outbound (state, next_attempt_at);
  `,
  // Issue 7: what happened to a copy after delivery (released from "Possible duplicates", expired).
  // IF NOT EXISTS: this entry and the SMTP one were written side by side, and may land in either order.
  `
  CREATE TABLE IF NOT EXISTS copy_events (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    kind TEXT NOT NULL CHECK (kind IN ('released', 'expired')),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS copy_events_delivery ON copy_events (delivery_id);
  CREATE INDEX IF NOT EXISTS deliveries_recipient ON deliveries (recipient, at);
  `,
  // Admin pages and JSON API: sessions and API tokens, by the sha256 of the token (the token
  // itself is only in the browser's cookie or the API client), so logout and password changes
  // end sessions at once, and sessions survive a restart.
  `
  CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX admin_sessions_user ON admin_sessions (user);
  `,
  // Issue 4, POP3 "keep deleted messages for N days": per user; a message that POP3 moved to Trash
  // instead of deleting it carries the time it did, so the purge removes exactly those, N days on.
  `
  ALTER TABLE users ADD COLUMN keep_deleted_days INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN trashed_at INTEGER;
  CREATE INDEX messages_trashed ON messages (trashed_at) WHERE trashed_at IS NOT NULL;
  `,
  // Issue 7, remote mailbox anomalies: what collector sessions noticed (another program downloading
  // from the mailbox, UIDLs renumbered), for doctor; and which journal entries were found gone
  // from the server without our DELE, so each is reported once; and when we sent DELE, so a message
  // deleted by a QUIT whose answer was lost is not blamed on another program.
  `
  CREATE TABLE collector_anomalies (
    id INTEGER PRIMARY KEY,
    mailbox_key TEXT NOT NULL,
    collector TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('overlap', 'renumbered')),
    at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    examples TEXT NOT NULL
  );
  CREATE INDEX collector_anomalies_at ON collector_anomalies (at);
  ALTER TABLE collector_journal ADD COLUMN gone_at INTEGER;
  ALTER TABLE collector_journal ADD COLUMN dele_sent_at INTEGER;
  `,
  // Issue 7: remote ids a collector session listed but did not download (cut sessions), so the next
  // session notices when they vanish before we ever had them. Usually empty.
  `
  CREATE TABLE collector_unfetched (
    mailbox_key TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (mailbox_key, remote_id)
  );
  `,
  // SMTP: when the sender was told a recipient is delayed (one notice per queued recipient).
  `
  ALTER TABLE outbound ADD COLUMN warned_at INTEGER;
  `,
  // Issue 8, message trace: when a user's mail client first downloaded a message (by blob: the row
  // itself may be gone after POP3 deletes it), and the spool row of an ingest, looked up per trace.
  `
  CREATE TABLE IF NOT EXISTS client_fetches (
    user TEXT NOT NULL,
    blob TEXT NOT NULL,
    protocol TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (blob, user)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS spool_ingest ON spool (ingest_id);
  `,
  // Issue 8, the dashboard's copies held and suppressed today: counted by (outcome, at) range scans
  // instead of reading every delivery ever made.
  `
  CREATE INDEX IF NOT EXISTS deliveries_outcome_at ON deliveries (outcome, at);
  `,
  // Resend checks ask "is this spool entry recorded already?" (every submission, and the spool
  // runner for each leftover): by spool_id, which the key index does not cover.
  `
  CREATE INDEX IF NOT EXISTS submissions_spool ON submissions (spool_id);
  `,
  // The message trace names the SMTP envelope sender (MAIL FROM: where bounces go, often not the
  // From: header). Older ingests have none (NULL).
  `
  ALTER TABLE ingests ADD COLUMN envelope_from TEXT;
  `,
];
