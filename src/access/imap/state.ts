/**
 * The session state (RFC 3501 section 3) as a discriminated union, and what every session of one
 * listener shares.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { Settings } from '../../config/schema.js';
import type { ImapMailboxStore, MessageTraceStore, UserStore } from '../../store/interfaces.js';
import type { FirstFetches } from '../shared/first-fetches.js';
import type { LoginThrottle } from '../pop3/throttle.js';
import type { ImapConnection } from './connection.js';
import type { MailboxEvents } from './events.js';
import type { StructureCache } from './message/structure-cache.js';
import type { CommandName } from './parser/types.js';
import type { SelectedMailbox } from './selected.js';

export type SessionState =
  | { kind: 'not-authenticated' }
  | { kind: 'authenticated'; user: string }
  | { kind: 'selected'; user: string; selected: SelectedMailbox }
  | { kind: 'logout' };

export type StateKind = SessionState['kind'];

/** Sizes past which input is refused. */
export interface ImapLimits {
  /** A command line with its non-APPEND literals. */
  maxCommand: number;
  /** One APPENDed message (announced as APPENDLIMIT). */
  maxAppend: number;
}

export const defaultLimits: ImapLimits = { maxCommand: 64 * 1024, maxAppend: 64 * 1024 * 1024 };

/** What a session needs from the rest of the server; shared by all sessions of a service. */
export interface ImapDeps {
  users: Pick<UserStore, 'findByLogin'>;
  store: ImapMailboxStore;
  blobs: Pick<BlobStore, 'read' | 'create' | 'locate'>;
  structures: StructureCache;
  events: MailboxEvents;
  throttle: LoginThrottle;
  /** For STARTTLS; null when no certificate is available (STARTTLS is then not offered). */
  tlsContext: SecureContext | null;
  limits: ImapLimits;
  /** RFC 3501 5.4: an autologout timer of at least 30 minutes. */
  idleTimeoutMs: number;
  /** How often IDLE looks at the store for mail delivered by other processes. */
  idlePollMs: number;
  settings: () => Settings;
  log: Logger;
  /** Where first downloads are recorded for the message trace; absent: not recorded. */
  trace?: Pick<MessageTraceStore, 'recordFetches'>;
}

/** One connection's session, as command handlers see it. */
export interface ImapSession {
  readonly id: string;
  readonly conn: ImapConnection;
  readonly deps: ImapDeps;
  log: Logger;
  state: SessionState;
  /** ENABLEd extensions (RFC 5161). */
  readonly enabled: Set<string>;
  /** Messages whose body was FETCHed, written in batches (see FirstFetches). */
  readonly fetches: FirstFetches;
}

/** What a handler needs to answer: the tag, and `untagged`/`tagged` writers. */
export interface Reply {
  readonly tag: string;
  untagged(text: string): Promise<void>;
  /** Sends raw bytes (literals). */
  raw(data: Buffer | string): Promise<void>;
  ok(text: string, code?: string): Promise<void>;
  no(text: string, code?: string): Promise<void>;
  bad(text: string, code?: string): Promise<void>;
}

/** One command's behaviour: the states it is valid in, and what it does. */
export interface CommandHandler<C> {
  states: readonly StateKind[];
  /** Whether untagged EXPUNGE may be sent around this command (never for FETCH, STORE, SEARCH). */
  expungeAllowed: boolean;
  run(session: ImapSession, command: C, reply: Reply): Promise<void>;
}

export type Handlers = { [N in CommandName]: CommandHandler<Extract<import('./parser/types.js').ImapCommand, { name: N }>> };
