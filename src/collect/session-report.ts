import { randomBytes } from 'node:crypto';

/** What one collector session did, for the log, the CLI summary and the admin dashboard. */
export interface SessionReport {
  collector: string;
  mailbox: string;
  /** Random id of this session, kept in the provenance of every message it downloaded. */
  sessionId: string;
  startedAt: number;
  durationMs: number;
  /** Messages on the server when the session looked. */
  seen: number;
  /** Downloaded in this session. */
  downloaded: number;
  /** Copies put in an INBOX / held in "Possible duplicates" / suppressed as duplicates. */
  delivered: number;
  held: number;
  suppressed: number;
  /** Deletions the server confirmed in this session. */
  deleted: number;
  /** Messages left on the server by leaveOnServerDays. */
  kept: number;
  /** Whether the server lacked UIDL and messages were identified by header and size. */
  noUidl: boolean;
  errors: string[];
  /** Dry run: who would receive each message. */
  plan?: Array<{ remoteId: string; subject: string | null; recipients: string[]; note: string }>;
}

export function newReport(collector: string, mailbox: string): SessionReport {
  return { collector, mailbox, sessionId: randomBytes(6).toString('hex'), startedAt: Date.now(), durationMs: 0, seen: 0, downloaded: 0, delivered: 0, held: 0, suppressed: 0, deleted: 0, kept: 0, noUidl: false, errors: [] };
}

export function formatReport(r: SessionReport): string {
  const parts = [
    `${r.seen} on server`,
    `${r.downloaded} downloaded`,
    `${r.delivered} delivered`,
    `${r.suppressed} duplicates suppressed`,
    `${r.held} held`,
    `${r.deleted} deleted`,
    `${r.kept} left on server`,
  ];
  const errs = r.errors.length ? `; ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}: ${r.errors.join(' | ')}` : '';
  return `${r.collector}: ${parts.join(', ')} (${(r.durationMs / 1000).toFixed(1)} s)${errs}`;
}
