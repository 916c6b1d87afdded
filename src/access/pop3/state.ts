/**
 * The session state (RFC 1939 section 3): AUTHORIZATION until a login succeeds and the maildrop is
 * locked, TRANSACTION while the client works on its snapshot, UPDATE once QUIT is answered there.
 * A connection that ends in any other way never reaches UPDATE, so it deletes nothing.
 */
import type { Logger } from 'pino';
import type { SecureContext } from 'node:tls';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { Settings } from '../../config/schema.js';
import type { MessageTraceStore, Pop3MaildropStore, UserStore } from '../../store/interfaces.js';
import type { FirstFetches } from '../shared/first-fetches.js';
import type { Pop3Connection } from './connection.js';
import type { MaildropLocks } from './locks.js';
import type { ReadAhead } from './read-ahead.js';
import type { Maildrop, TailCache } from './maildrop.js';
import type { LoginThrottle } from './throttle.js';

export type SessionState =
  | { phase: 'authorization'; /** Name given by USER, waiting for PASS. */ pendingUser: string | null }
  | {
      phase: 'transaction';
      user: string;
      maildrop: Maildrop;
      release: () => void;
      retrieved: number;
      /** The user's keepDeletedDays at login: > 0 sends deletions to Trash instead (see quit.ts). */
      keepDeletedDays: number;
    }
  | { phase: 'update' }
  | { phase: 'closed' };

export type Phase = SessionState['phase'];

/** What a session needs from the rest of the server; shared by all sessions of one listener. */
export interface Pop3Deps {
  users: Pick<UserStore, 'findByLogin'>;
  maildrops: Pop3MaildropStore;
  blobs: Pick<BlobStore, 'locate'>;
  locks: MaildropLocks;
  throttle: LoginThrottle;
  tails: TailCache;
  /** For STLS; null when no certificate is available (STLS is then not offered). */
  tlsContext: SecureContext | null;
  /** RFC 1939 section 3: an idle session is closed after at least 10 minutes, without UPDATE. */
  idleTimeoutMs: number;
  /** The current settings (reloaded while the server runs). */
  settings: () => Settings;
  log: Logger;
  /** Where first downloads are recorded for the message trace; absent: not recorded. */
  trace?: Pick<MessageTraceStore, 'recordFetches'>;
}

/** One connection's session, as command handlers see it. */
export interface Pop3Session {
  readonly id: string;
  readonly conn: Pop3Connection;
  readonly deps: Pop3Deps;
  readonly log: Logger;
  /** Message files opened ahead of queued RETRs. */
  readonly readAhead: ReadAhead;
  /** Messages RETRieved, written in one batch when the session ends. */
  readonly fetches: FirstFetches;
  state: SessionState;
}

/** One command's behaviour: the phases it is valid in, and what it does. */
export interface CommandHandler<C> {
  phases: readonly Phase[];
  run(session: Pop3Session, command: C): Promise<void>;
}
