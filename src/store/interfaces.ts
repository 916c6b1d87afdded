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
  /**
   * Days a message deleted over POP3 stays in the user's Trash before it is removed (VPOP3's
   * hold-instead-of-delete); 0 removes it at once. Always set when read from the store.
   */
  keepDeletedDays?: number;
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
  /**
   * The envelope sender (SMTP MAIL FROM) when the door knows one; '' is the null sender <>.
   * Relayed copies are sent with it and bounces go back to it.
   */
  envelopeFrom?: string;
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
  /**
   * Recipients outside the local domains: `deliver` writes one outbound queue row per recipient
   * in the same transaction as the local copies, so a message is never half-routed.
   */
  outbound?: OutboundRequest;
}

/** What to relay: the reverse path (null: the null sender <>, never bounced) and the recipients. */
export interface OutboundRequest {
  sender: string | null;
  recipients: string[];
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

/** What a new spool entry is made of (the store assigns the rest). */
export type NewSpoolEntry = Omit<SpoolEntry, 'id' | 'state' | 'attempts' | 'lastError' | 'ingestId'>;

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
  /**
   * Adds several entries in ONE transaction (one fsync). An entry whose journal row already exists
   * is skipped and yields null in the result, in place of its id; the others are added.
   *
   * `deferSync`: the commit does not wait for the disk; the caller commits again on this store at
   * once (a collector's delivery transaction), and that commit makes these rows durable too (one
   * wait for the disk per batch instead of two). Until then a power cut, not a crash of the
   * process, may lose them, which only a collector may accept: a journal row lost with its spool
   * row means the message is downloaded again, and nothing was deleted remotely because of it.
   */
  addMany(entries: Array<{ entry: NewSpoolEntry; journal?: JournalKey }>, options?: { deferSync?: boolean }): Promise<Array<number | null>>;
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
  /** Spool ids of the `spawn` entries written by this delivery (absent when alreadyDone). */
  spawned?: number[];
}

/** One message's part of `DeliveryStore.deliverMany`: the arguments of `deliver`. */
export interface DeliveryRequest {
  ingest: IngestRecord;
  recipients: RecipientDelivery[];
  windowStart: number;
  spoolId?: number;
  /**
   * New spool entries written in the same transaction (a mailing list's copy, src/lists): they
   * exist exactly when this delivery committed, so a crash can neither lose nor double them.
   * Their blobs must already be durable.
   */
  spawn?: NewSpoolEntry[];
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
  /**
   * `deliver` for several messages in ONE transaction (one fsync): all commit or none. Items are
   * applied in order, so a later item's dedupe sees the copies of the earlier ones.
   */
  deliverMany(items: DeliveryRequest[]): Promise<DeliverOutcome[]>;
  /** Whether `user` got a copy with this Message-ID since `since` (ms): dry runs use it. */
  hasMessageId(user: string, messageId: string, since: number): Promise<boolean>;
  /** The deliveries of one ingest, for diagnosis. */
  deliveriesOf(ingestId: number): Promise<Array<{ user: string; outcome: DeliveryOutcome; reason: string; via: string; at: number }>>;
}

/** One recipient of one message in the outbound queue (relayed through the smarthost). */
export interface OutboundItem {
  id: number;
  ingestId: number;
  blob: string;
  size: number;
  /** Reverse path for MAIL FROM; null is <> (a bounce: never bounced again). */
  sender: string | null;
  recipient: string;
  /** queued: waiting or retrying; sent: the smarthost took it; failed: bounced to the sender. */
  state: 'queued' | 'sent' | 'failed';
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastError: string | null;
  /** When the sender was sent a "delayed" notice for this recipient, or null. */
  warnedAt: number | null;
}

/**
 * The outbound queue: state per recipient, in the database, so it survives restarts. Rows are
 * written by `DeliveryStore.deliver` (IngestRecord.outbound); the relay worker moves them on.
 */
export interface OutboundStore {
  /** Rows still queued and those that failed, oldest first (what `postroom queue` shows). */
  list(): Promise<OutboundItem[]>;
  get(id: number): Promise<OutboundItem | undefined>;
  /** Queued rows whose next attempt is due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboundItem[]>;
  /** The smarthost accepted these rows. */
  sent(ids: number[], response: string, at: number): Promise<void>;
  /** A temporary failure: one more attempt counted, next one at `nextAttemptAt`. */
  deferred(ids: number[], error: string, at: number, nextAttemptAt: number): Promise<void>;
  /** The sender has been told these rows are delayed (sent once per row). */
  warned(ids: number[], at: number): Promise<void>;
  /** A permanent failure (or too old): the bounce has been made; the rows stay for diagnosis. */
  failed(ids: number[], error: string, at: number): Promise<void>;
  /** Makes a queued row due now; false when there is no queued row with that id. */
  retryNow(id: number, now: number): Promise<boolean>;
  /** Removes a row whatever its state (no bounce); false when there is none. */
  remove(id: number): Promise<boolean>;
  /** The queue at a glance (the admin dashboard), counted by the store rather than by listing every row. */
  summary(): Promise<OutboundSummary>;
}

export interface OutboundSummary {
  /** Rows waiting for the smarthost. */
  queued: number;
  /** Of those, rows already tried that failed temporarily (attempts > 0). */
  deferred: number;
  /** When the oldest queued row was created; null when nothing is queued. */
  oldestQueuedAt: number | null;
  /** Rows that bounced to their sender and are kept for diagnosis. */
  failed: number;
}

/** What makes two submissions "the same message sent again" (see src/smtp/resend.ts). */
export interface SubmissionKey {
  /** The authenticated user. */
  user: string;
  /** Normalized Message-ID. */
  messageId: string;
  /** sha256 of the message bytes exactly as the client sent them. */
  contentHash: string;
  /** The envelope (sender and sorted recipients), so a client that splits recipients into batches is not mistaken for a resend. */
  envelope: string;
}

/**
 * The submission ledger: remembers what each user submitted, so a client's silent resend of the
 * same message (Outlook does this when the 250 comes late) is accepted and dropped, not sent twice.
 */
export interface SubmissionStore {
  /**
   * Atomically: when the same key was recorded at or after `windowStart`, marks the spool entry
   * `spoolId` done without delivering it and returns the earlier record; otherwise records this
   * submission for `spoolId` and returns null. An entry already recorded is answered null again.
   */
  claim(key: SubmissionKey, spoolId: number, at: number, windowStart: number): Promise<{ spoolId: number; at: number } | null>;
  /** Whether `spoolId` was recorded by an earlier claim (so its key need not be worked out again). */
  recorded(spoolId: number): Promise<boolean>;
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

/** A logged-in admin: a browser session (cookie) or an API token. */
export interface AdminSession {
  user: string;
  kind: 'browser' | 'api';
  createdAt: number;
  lastSeenAt: number;
  /** Milliseconds since the epoch; the session is gone from then on. */
  expiresAt: number;
}

/**
 * Admin sessions of the web pages and the JSON API. Only a hash of each token is stored, so a
 * copy of the database does not log anyone in. Expired sessions are never returned by `find`.
 */
export interface AdminSessionStore {
  create(tokenHash: string, session: AdminSession): Promise<void>;
  /** The session of this token hash when it has not expired at `now`. */
  find(tokenHash: string, now: number): Promise<AdminSession | undefined>;
  /** Records activity and moves the expiry (sliding idle timeout). */
  touch(tokenHash: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  remove(tokenHash: string): Promise<void>;
  /** Ends every session of `user` but the one given (password changed, user removed); returns how many. */
  removeUser(user: string, exceptTokenHash?: string): Promise<number>;
  purgeExpired(now: number): Promise<number>;
}

/** The whole store. */
export interface Store {
  users: UserStore;
  mailboxes: MailboxStore;
  deliveries: DeliveryStore;
  spool: SpoolStore;
  outbound: OutboundStore;
  submissions: SubmissionStore;
  journal: CollectorJournalStore;
  config: ConfigStore;
  adminSessions: AdminSessionStore;
  maildrops: Pop3MaildropStore;
  imap: ImapMailboxStore;
  held: HeldCopyStore;
  provenance: ProvenanceStore;
  health: StoreHealth;
  anomalies: MailboxAnomalyStore;
  trace: MessageTraceStore;
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
  /**
   * Like `expunge`, but moves the messages to the owner's Trash (created if missing), where they
   * get new UIDs, and stamps them with `at` for `purgeTrash`. Provenance follows the message.
   */
  moveToTrash(mailboxId: number, messageIds: number[], at: number): Promise<number>;
  /**
   * Removes the Trash messages `moveToTrash` put there more than their owner's keepDeletedDays
   * before `now` (messages put in Trash otherwise, e.g. by IMAP, are left to their client).
   * Returns what was removed.
   */
  purgeTrash(now: number): Promise<Array<{ owner: string; uid: number; blob: string; trashedAt: number }>>;
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

/**
 * One message with what FETCH and SEARCH need besides its bytes: a MessageRecord's fields
 * (wireSize is RFC822.SIZE, internalDate in ms is INTERNALDATE).
 */
export type ImapMessage = Pick<MessageRecord, 'uid' | 'blob' | 'size' | 'wireSize' | 'internalDate' | 'flags'>;

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
  /** Caches the MIME structures of blobs, in one transaction; every copy of a blob shares it. */
  saveStructures(entries: Array<{ blob: string; json: string }>): Promise<void>;
  /** Up to `limit` stored messages whose blob has no structure yet (delivered by another process). */
  blobsWithoutStructure(limit: number): Promise<Array<{ blob: string; size: number }>>;
}

// ---------------------------------------------------------------------------------------------
// Duplicate intelligence (issue 7): held copies in "Possible duplicates", and the stored story of
// every copy that diagnosis reads.

/** Something that happened to a copy after its delivery (kept with its provenance, never removed). */
export interface CopyEvent {
  deliveryId: number;
  /** released: moved from "Possible duplicates" to the INBOX; expired: removed from "Possible duplicates" after `duplicates.heldDays`. */
  kind: 'released' | 'expired';
  at: number;
  /** Who did it: "cli", "admin NAME", "expiry". */
  actor: string;
  /** Where the copy was before and after (mailbox, UID, blob): enough to find the bytes again. */
  detail: Record<string, unknown>;
}

/** A copy waiting in a user's "Possible duplicates" folder, with why it was held. */
export interface HeldCopy {
  /** The delivery (provenance) row: the id `duplicates show/release` take. */
  deliveryId: number;
  user: string;
  uid: number;
  blob: string;
  size: number;
  heldAt: number;
  reason: string;
  ingestId: number;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  source: Source;
}

/**
 * The copies held in "Possible duplicates". A held copy leaves the folder only by `release` (to the
 * INBOX) or `expire` (after the holding period), both recorded as a CopyEvent in the same
 * transaction. Copies a user moved out of the folder themselves (IMAP) are no longer held.
 */
export interface HeldCopyStore {
  /** Held copies still in "Possible duplicates", oldest first; only `user`'s when given. */
  list(user?: string): Promise<HeldCopy[]>;
  get(deliveryId: number): Promise<HeldCopy | undefined>;
  /**
   * Moves the held copy to the user's INBOX under a new UID (flags kept) and records a 'released'
   * event. Undefined when no copy with that id is held (never held, released or expired already).
   */
  release(deliveryId: number, actor: string, at: number): Promise<{ uid: number; uidValidity: number } | undefined>;
  /** Removes from "Possible duplicates" every held copy held before `heldBefore`, recording an 'expired' event for each; returns them. */
  expire(heldBefore: number, actor: string, at: number): Promise<HeldCopy[]>;
}

/** One recipient's copy of one ingest, with everything the store knows about how it came to be. */
export interface CopyStory {
  ingestId: number;
  receivedAt: number;
  source: Source;
  blob: string;
  size: number;
  messageId: string | null;
  fingerprint: string;
  subject: string | null;
  from: string | null;
  /** The routing decision as the pipeline stored it ({ spec, notes, external }). */
  routing: unknown;
  deliveryId: number;
  user: string;
  via: string;
  outcome: DeliveryOutcome;
  reason: string;
  at: number;
  /** Where the copy is now (null: suppressed, expired or removed by the user). */
  mailbox: string | null;
  uid: number | null;
  events: CopyEvent[];
}

/** Read access to provenance, for `postroom diagnose` and `postroom doctor`. */
export interface ProvenanceStore {
  /** The user's copies (every outcome) with this Message-ID or one of these fingerprints, oldest first. */
  copiesOf(user: string, match: { messageId?: string; fingerprints?: string[] }): Promise<CopyStory[]>;
  /** The copy now at `uid` in the user's folder `mailbox`, if any. */
  copyAt(user: string, mailbox: string, uid: number): Promise<CopyStory | undefined>;
  /** Copies with the given outcomes delivered since `since` (every user), oldest first, at most `limit`. */
  recent(since: number, outcomes: DeliveryOutcome[], limit: number): Promise<CopyStory[]>;
  /** The copy this delivery matched in the ledger: the earliest earlier copy of the same user with the same Message-ID or fingerprint. */
  earlierMatch(copy: CopyStory): Promise<CopyStory | undefined>;
  /** Every recipient's copy of one ingest, in delivery order (the message trace). */
  ofIngest(ingestId: number): Promise<CopyStory[]>;
  /** Ingests from collectors since `since`: the source and routing only, for doctor's routing checks. */
  collectorIngests(since: number, limit: number): Promise<Array<{ ingestId: number; source: Source; routing: unknown; blob: string }>>;
  /** How many copies (every user) were delivered, held and suppressed at or after `since`: the dashboard's "today". */
  outcomeCounts(since: number): Promise<Record<DeliveryOutcome, number>>;
}

/** The store checking itself, for `postroom doctor`. */
export interface StoreHealth {
  /** Problems found by the backend's own consistency check (SQLite: PRAGMA integrity_check); empty when sound. */
  integrity(): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Remote mailbox anomalies (src/collect/anomalies.ts): another program downloading from a
// collector's ISP mailbox, or a server renumbering its UIDLs. Written by the collector
// sessions, read by `postroom doctor`.

export type MailboxAnomalyKind = 'overlap' | 'renumbered';

/** One anomaly seen by one collector session. */
export interface MailboxAnomaly {
  mailboxKey: string;
  collector: string;
  kind: MailboxAnomalyKind;
  at: number;
  /** overlap: messages gone from the server without our DELE; renumbered: messages found under a new UIDL. */
  count: number;
  /** A few of the remote ids concerned (old UIDLs), for the admin to look up. */
  examples: string[];
}

/** A journal entry still believed to be on the server: not deleted by us, not found gone. */
export interface OpenJournalEntry {
  remoteId: string;
  /** The message's size as the server may count it in LIST: as received, and with CRLF line ends. */
  sizes: number[];
  messageId: string | null;
  /** We sent DELE for it, unconfirmed (QUIT's answer never came): its absence is our own doing. */
  deleSent: boolean;
}

export interface MailboxAnomalyStore {
  /** How many journal entries of the mailbox are open (a cheap check before `open`). */
  countOpen(mailboxKey: string): Promise<number>;
  open(mailboxKey: string): Promise<OpenJournalEntry[]>;
  /**
   * In one transaction: records the anomaly, marks `gone` remote ids as no longer on the server
   * (so they are reported once), and adds each alias (a new UIDL of an old message) as a journal
   * row for the old row's spool entry, the old row being marked gone.
   */
  record(anomaly: MailboxAnomaly, gone: string[], aliases: Array<{ newId: string; oldId: string }>): Promise<void>;
  /** The remote ids listed, unknown to the journal, when the last session looked. */
  unfetched(mailboxKey: string): Promise<string[]>;
  /** Replaces that set with this session's. */
  setUnfetched(mailboxKey: string, remoteIds: string[], at: number): Promise<void>;
  /** Notes that DELE is about to be sent for these remote ids (before the server can act on it). */
  deleSent(mailboxKey: string, remoteIds: string[], at: number): Promise<void>;
  /** Anomalies since `since`, oldest first. */
  since(since: number): Promise<MailboxAnomaly[]>;
}

// ---------------------------------------------------------------------------------------------
// Message trace (admin /trace, `postroom trace`): find a recent message and what happened to it.

/** Where a trace search looks: `any` is every field at once. */
export type TraceField = 'any' | 'from' | 'to' | 'subject' | 'messageId';

export interface TraceQuery {
  /** Matched as a case-insensitive substring; '' lists every message since `since`. */
  text: string;
  field: TraceField;
  since: number;
  limit: number;
}

/** A message as it entered: its ingest's source and header facts. */
export interface TraceIngest {
  ingestId: number;
  receivedAt: number;
  source: Source;
  from: string | null;
  subject: string | null;
  messageId: string | null;
}

/** One message found by a trace search: its ingest, and where its copies went. */
export interface TraceSummary extends TraceIngest {
  /** Local users with a copy (any outcome), then external recipients. */
  recipients: string[];
  /** Copies per outcome, and outbound rows per state ("queued", "sent", "failed"). */
  outcomes: Record<string, number>;
}

/** A message's first download by a mail client of its owner (POP3 RETR, or IMAP FETCH of the body). */
export interface ClientFetch {
  user: string;
  blob: string;
  protocol: 'pop3' | 'imap';
  /** The client's address. */
  client: string;
  at: number;
}

/** How an ingest entered besides its Source: its spool row, and the collector journal row if any. */
export interface TraceArrival {
  spoolId: number | null;
  spoolState: 'pending' | 'done' | null;
  attempts: number;
  lastError: string | null;
  journal: { mailboxKey: string; remoteId: string; firstSeen: number; deletedAt: number | null } | null;
}

/**
 * The message trace's own reads, and the one write it needs (first fetches by clients). The copies
 * of an ingest come from ProvenanceStore.ofIngest, the relayed rows from here.
 */
export interface MessageTraceStore {
  /** Ingests received since `query.since` matching the query, newest first. */
  search(query: TraceQuery): Promise<TraceSummary[]>;
  /** The ingest's source and header facts, or undefined. */
  ingest(ingestId: number): Promise<TraceIngest | undefined>;
  arrival(ingestId: number): Promise<TraceArrival>;
  outbound(ingestId: number): Promise<OutboundItem[]>;
  /** The first fetch of each of these users of this blob. */
  fetches(blob: string, users: string[]): Promise<ClientFetch[]>;
  /**
   * Records fetches in ONE transaction; a (user, blob) already recorded keeps its first time.
   * The access servers batch these per session, so a download never waits for a write.
   */
  recordFetches(fetches: ClientFetch[]): Promise<void>;
}
