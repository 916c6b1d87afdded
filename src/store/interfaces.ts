/**
 * The store contract. Every backend (store/sqlite today, store/postgres later, with the same file
 * names) implements these interfaces and passes the same contract tests (test/store/contract.ts).
 *
 * Every method is atomic: it either happens whole or not at all. Protocol code and the pipeline
 * talk to these interfaces only, never to SQL.
 */
import type { CollectorConfig, ListConfig, Settings } from '../config/schema.js';

/** A local user as stored. `passwordHash` is an argon2 PHC string, or null (login disabled). */
export interface UserRecord {
  name: string;
  addresses: string[];
  admin: boolean;
  passwordHash: string | null;
}

/** A folder of one user. `uidValidity`/`uidNext` follow IMAP (RFC 3501 2.3.1.1). */
export interface MailboxRecord {
  id: number;
  owner: string;
  name: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  messageCount: number;
}

/** One message in one mailbox. The bytes live in the blob store under `blob`. */
export interface MessageRecord {
  id: number;
  mailboxId: number;
  uid: number;
  blob: string;
  /** Stored octets. */
  size: number;
  /** Octets once every bare LF is served as CRLF: what POP3 LIST and IMAP RFC822.SIZE announce. */
  wireSize: number;
  internalDate: number;
  flags: string[];
  ingestId: number;
  subject: string | null;
  from: string | null;
  messageId: string | null;
}

/** How a message entered: which door, and what the door knows about it. */
export interface Source {
  kind: 'cli' | 'collector' | 'smtp' | 'submission' | 'list';
  /** Human-readable name of the door: collector name, client address, list name. */
  name: string;
  /** Remote identity of a fetched copy (collector/UIDL or UIDVALIDITY/UID), when there is one. */
  remoteId?: string;
  /** Anything else worth keeping for diagnosis (session id, authenticated user...). */
  detail?: Record<string, unknown>;
}

/** Facts the pipeline learned about a spooled message, stored once per ingest. */
export interface IngestRecord {
  source: Source;
  receivedAt: number;
  blob: string;
  size: number;
  wireSize: number;
  /** Normalized Message-ID, or null when the message has none. */
  messageId: string | null;
  /** Content fingerprint: origin headers and body, without per-copy trace headers. */
  fingerprint: string;
  subject: string | null;
  from: string | null;
  /** The routing decision, for diagnosis. */
  routing: unknown;
}

export type DeliveryOutcome = 'delivered' | 'held' | 'suppressed';

/** What an earlier delivery to the same recipient looked like (dedupe ledger row). */
export interface LedgerMatch {
  deliveryId: number;
  messageId: string | null;
  fingerprint: string;
  at: number;
}

/**
 * Decides, inside the delivery transaction, what happens to one recipient's copy given the ledger
 * rows that match it. Pure: the store calls it while it holds the write lock.
 */
export type DedupeDecider = (matches: LedgerMatch[]) => { outcome: DeliveryOutcome; reason: string };

export interface RecipientDelivery {
  /** Local user name. */
  user: string;
  /** How this recipient was found (address, list, routing rule): kept as provenance. */
  via: string;
  decide: DedupeDecider;
}

export interface DeliveryResult {
  user: string;
  outcome: DeliveryOutcome;
  reason: string;
  deliveryId: number;
  mailbox: string | null;
  uid: number | null;
}

/** Identifies one message in one remote (ISP) mailbox, for the collectors' journal. */
export interface JournalKey {
  /** The remote mailbox: protocol://user@host:port[/folder]. Shared by any collector on it. */
  mailboxKey: string;
  /** UIDL, or UIDVALIDITY:UID, or a header hash when the server has no UIDL. */
  remoteId: string;
  collector: string;
}

/** What the journal knows about a remote message. */
export interface JournalEntry {
  remoteId: string;
  spoolId: number;
  /** True once the spool entry is delivered (its deliveries committed). */
  delivered: boolean;
  firstSeen: number;
  /** When the server confirmed the deletion (POP3: QUIT answered +OK), or null. */
  deletedAt: number | null;
}

/**
 * The collectors' journal, per remote mailbox: what was already downloaded (so it is never
 * downloaded twice, even across crashes) and what was deleted.
 */
export interface CollectorJournalStore {
  /** The journal entries of these remote ids (those never seen are absent from the map). */
  lookup(mailboxKey: string, remoteIds: string[]): Promise<Map<string, JournalEntry>>;
  /** Records that the server confirmed these deletions. */
  markDeleted(mailboxKey: string, remoteIds: string[], at: number): Promise<void>;
}

/** A message durably spooled and not yet (or already) delivered. */
export interface SpoolEntry {
  id: number;
  receivedAt: number;
  source: Source;
  /** The routing request, as the pipeline's RoutingSpec (kept opaque here). */
  routing: unknown;
  blob: string;
  size: number;
  wireSize: number;
  /** Where the message's own header block sits in the blob (after the Received line we added). */
  headerOffset: number;
  headerLength: number;
  bodyHash: string;
  state: 'pending' | 'done';
  attempts: number;
  lastError: string | null;
  ingestId: number | null;
}

/**
 * The spool: what has been accepted from a source and must be delivered. A row is written (and
 * committed) before the source is told "got it"; it is marked done in the same transaction as the
 * deliveries, so a crash in between leaves it pending and it is delivered once, later.
 */
export interface SpoolStore {
  /**
   * Adds an entry. With `journal`, the collector journal row (remote identity → this entry) is
   * written in the same transaction; it fails with JournalConflictError if that row exists.
   */
  add(entry: Omit<SpoolEntry, 'id' | 'state' | 'attempts' | 'lastError' | 'ingestId'>, journal?: JournalKey): Promise<number>;
  get(id: number): Promise<SpoolEntry | undefined>;
  /**
   * Ids of pending entries due for an attempt at `now`, oldest first: received more than
   * `graceMs` × 2^attempts ago (so the process that accepted one gets to deliver it first, and a
   * failing one is retried less and less often).
   */
  pending(now: number, graceMs: number, limit: number): Promise<number[]>;
  /** Records a failed attempt; the entry stays pending. */
  failed(id: number, error: string): Promise<void>;
}

/**
 * `alreadyDone`: the spool entry had been delivered by another process meanwhile; nothing was
 * written and `results` are that earlier delivery's.
 */
export interface DeliverOutcome {
  ingestId: number;
  results: DeliveryResult[];
  alreadyDone: boolean;
}

/** The deliveries of one message: ledger check, mailbox insert and ledger write in one transaction. */
export interface DeliveryStore {
  /**
   * Records the ingest and, per recipient and atomically: looks up ledger rows of that recipient
   * with the same Message-ID or fingerprint received since `windowStart`, asks `decide`, then
   * inserts the mailbox row (INBOX for delivered, "Possible duplicates" for held) together with
   * the ledger row and the provenance row. Either all recipients commit or none. With `spoolId`,
   * the spool entry is marked done in the same transaction, or nothing happens if it already was.
   */
  deliver(ingest: IngestRecord, recipients: RecipientDelivery[], windowStart: number, spoolId?: number): Promise<DeliverOutcome>;
  /** Whether `user` got a copy with this Message-ID since `since` (ms): dry runs use it. */
  hasMessageId(user: string, messageId: string, since: number): Promise<boolean>;
  /** The deliveries of one ingest, for diagnosis. */
  deliveriesOf(ingestId: number): Promise<Array<{ user: string; outcome: DeliveryOutcome; reason: string; via: string; at: number }>>;
}

export interface UserStore {
  get(name: string): Promise<UserRecord | undefined>;
  /** A user by name or by any of their addresses (case-insensitive), as users log in. */
  findByLogin(login: string): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
  /** Creates the user, or fails with a UsageError when the name or an address is taken. */
  add(user: UserRecord): Promise<void>;
  setPassword(name: string, passwordHash: string): Promise<void>;
  /** Removes the login and addresses; the mailboxes and their messages are kept. */
  remove(name: string): Promise<boolean>;
}

export interface MailboxStore {
  /** The user's folders, created on first use (INBOX, Sent, Drafts, Trash, Junk, Possible duplicates). */
  list(owner: string): Promise<MailboxRecord[]>;
  messages(mailboxId: number): Promise<MessageRecord[]>;
}

/** Who owns an address: a user or a list. */
export type AddressOwner = { kind: 'user'; name: string } | { kind: 'list'; name: string };

/** Everything `config apply` manages, as one snapshot. */
export interface ConfigState {
  settings: Settings;
  users: UserRecord[];
  lists: ListConfig[];
  collectors: CollectorConfig[];
}

export interface ConfigStore {
  settings(): Promise<Settings>;
  /** Bumped by every configuration change: a running server polls it to reload. */
  generation(): Promise<number>;
  snapshot(): Promise<ConfigState>;
  /**
   * Replaces the whole configuration in one transaction. `plan` receives the current state read
   * inside the transaction and returns the new state and the list of changes it made; nothing is
   * written when it throws or returns no changes.
   */
  replace(plan: (current: ConfigState) => { next: ConfigState; changes: string[] }): Promise<string[]>;
  /** Resolves an address to its owner, or undefined. */
  ownerOf(address: string): Promise<AddressOwner | undefined>;
  list(name: string): Promise<ListConfig | undefined>;
}

/** The whole store. */
export interface Store {
  users: UserStore;
  mailboxes: MailboxStore;
  deliveries: DeliveryStore;
  spool: SpoolStore;
  journal: CollectorJournalStore;
  config: ConfigStore;
  maildrops: Pop3MaildropStore;
  imap: ImapMailboxStore;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// POP3 maildrops (src/access/pop3). A maildrop is the INBOX of one user, seen as RFC 1939 sees it.

/** One message of a maildrop snapshot. */
export interface MaildropMessage {
  /** The message row: what `expunge` takes. */
  id: number;
  /** IMAP UID in the INBOX; with the mailbox's UIDVALIDITY it makes the POP3 UIDL. */
  uid: number;
  blob: string;
  /** Stored octets. */
  size: number;
  /** Octets with every bare LF sent as CRLF (see MessageRecord.wireSize). */
  wireSize: number;
}

/** A user's INBOX at one instant, in arrival (UID) order. */
export interface MaildropSnapshot {
  mailboxId: number;
  uidValidity: number;
  messages: MaildropMessage[];
}

/**
 * What the POP3 server needs from the store. It never sees mail arrive during a session (RFC 1939
 * lets a maildrop be a snapshot), and it removes messages only at UPDATE, all of them or none.
 */
export interface Pop3MaildropStore {
  /** The user's INBOX now (created on first use), ordered by UID. */
  snapshot(owner: string): Promise<MaildropSnapshot>;
  /**
   * Removes the given messages of the mailbox in one transaction and returns how many were
   * removed. Ids that are already gone (another client removed them) are skipped, not an error.
   * Provenance rows stay; they just no longer point at a copy.
   */
  expunge(mailboxId: number, messageIds: number[]): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// IMAP mailboxes (src/access/imap). Folders with UIDs and flags, as RFC 3501 sees them.

/** A folder as the IMAP server sees it. Names are Unicode, "/" separates levels. */
export interface ImapMailbox {
  id: number;
  owner: string;
  name: string;
  /** RFC 6154 attribute ("\\Sent", ...) or null. */
  specialUse: string | null;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
}

/** One message as a selected mailbox indexes it: enough to number messages and report flags. */
export interface ImapIndexEntry {
  uid: number;
  flags: string[];
}

/** One message with what FETCH and SEARCH need besides its bytes. */
export interface ImapMessage {
  uid: number;
  blob: string;
  /** Stored octets. */
  size: number;
  /** Octets with every bare LF sent as CRLF: RFC822.SIZE. */
  wireSize: number;
  /** Milliseconds since the epoch: INTERNALDATE. */
  internalDate: number;
  flags: string[];
}

/** A message APPENDed by a client: its bytes are already in the blob store under `blob`. */
export interface ImapAppendRecord {
  blob: string;
  size: number;
  wireSize: number;
  internalDate: number;
  flags: string[];
  messageId: string | null;
  subject: string | null;
  from: string | null;
  fingerprint: string;
  /** Who appended it ("bob from 192.0.2.7"): kept as the ingest's provenance (source kind "imap"). */
  origin: string;
}

/** What a mailbox operation could not do, as IMAP response codes name it (RFC 5530). */
export type ImapMailboxRefusal = 'nonexistent' | 'exists' | 'cannot' | 'haschildren';

export type ImapMailboxOutcome = { ok: true } | { ok: false; reason: ImapMailboxRefusal };

/** Old UID → new UID of each copied message, in source UID order, with the target's UIDVALIDITY. */
export interface ImapCopyResult {
  uidValidity: number;
  pairs: Array<[number, number]>;
}

/**
 * What the IMAP server needs from the store. Every method is one transaction. UIDs are assigned
 * from the mailbox's uid_next and never reused; a message that is copied gets a new UID in the
 * target and shares the blob. Nothing here goes through the delivery pipeline or its dedupe ledger:
 * APPEND and COPY are the user filing their own mail.
 */
export interface ImapMailboxStore {
  /** The user's folders (the standard ones created on first use), in creation order. */
  list(owner: string): Promise<ImapMailbox[]>;
  /** One folder by exact name (INBOX is always "INBOX"), or undefined. */
  get(owner: string, name: string): Promise<ImapMailbox | undefined>;
  /** Creates a folder with a fresh UIDVALIDITY; 'exists' if the name is taken. */
  create(owner: string, name: string): Promise<ImapMailboxOutcome>;
  /**
   * Removes a folder and its messages. 'cannot' for the standard folders (they would come back
   * at once with a new UIDVALIDITY), 'haschildren' when folders exist below it.
   */
  delete(owner: string, name: string): Promise<ImapMailboxOutcome>;
  /** Renames a folder and every folder below it. 'cannot' for the standard folders. */
  rename(owner: string, from: string, to: string): Promise<ImapMailboxOutcome>;
  setSubscribed(owner: string, name: string, subscribed: boolean): Promise<ImapMailboxOutcome>;
  /** Counts for STATUS: messages, unseen (no \Seen), total wire octets. */
  counts(mailboxId: number): Promise<{ messages: number; unseen: number; size: number }>;
  /** UIDs and flags of every message in UID order, and uid_next, read together. */
  index(mailboxId: number): Promise<{ uidNext: number; entries: ImapIndexEntry[] }>;
  /** Cheap check for new or removed messages: changes whenever one is added or removed. */
  stamp(mailboxId: number): Promise<string>;
  /** The messages with these UIDs (those gone are absent), in UID order. */
  messages(mailboxId: number, uids: number[]): Promise<ImapMessage[]>;
  /** Sets, adds or removes flags of the given UIDs; returns the new flags of each message still there. */
  storeFlags(mailboxId: number, uids: number[], mode: 'replace' | 'add' | 'remove', flags: string[]): Promise<ImapIndexEntry[]>;
  /** Removes the messages flagged \Deleted (only those in `uids` when given); returns their UIDs. */
  expunge(mailboxId: number, uids?: number[]): Promise<number[]>;
  /** Copies messages (flags included) to another folder of the same owner. */
  copy(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<ImapCopyResult>;
  /** Copy then remove from the source, atomically (RFC 6851). */
  move(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<ImapCopyResult>;
  /** Adds an appended message; returns its UID and the folder's UIDVALIDITY. */
  append(mailboxId: number, message: ImapAppendRecord): Promise<{ uidValidity: number; uid: number }>;
  /** The MIME structure cached for a blob (JSON written by `saveStructure`), or undefined. */
  structure(blob: string): Promise<string | undefined>;
  /** Caches the MIME structure of a blob; every copy of that blob shares it. */
  saveStructure(blob: string, json: string): Promise<void>;
}
