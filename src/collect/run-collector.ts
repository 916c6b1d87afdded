/**
 * Runs one session of one collector: takes the remote mailbox's lock (one session per ISP mailbox
 * at a time, across collectors and processes), runs the POP3 or IMAP session, and reports.
 */
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { collectorPort, remoteMailboxKey, type CollectorConfig } from '../config/schema.js';
import { tryLockFile } from '../server/file-lock.js';
import type { CollectDeps } from './fetched-message.js';
import { runPop3Session, type SessionOptions } from './pop3-session.js';
import { formatReport, newReport, type SessionReport } from './session-report.js';

export interface RunDeps extends CollectDeps {
  dataDir: string;
  log: Logger;
}

/** The lock file that allows one session at a time on a remote mailbox, in every process. */
export function mailboxLockFile(dataDir: string, mailboxKey: string): string {
  return path.join(dataDir, 'locks', `${createHash('sha256').update(mailboxKey).digest('hex').slice(0, 32)}.lock`);
}

export interface RunOptions extends SessionOptions {
  /** Called once the mailbox is locked with the session's report, which the session fills in as it goes (live counts). */
  onStart?: (report: SessionReport) => void;
}

/** Thrown-free: every failure ends up in `report.errors`; `busy` says another session held the mailbox. */
export async function runCollector(deps: RunDeps, c: CollectorConfig, opts: RunOptions): Promise<SessionReport & { busy: boolean }> {
  const mailboxKey = remoteMailboxKey(c);
  const report = newReport(c.name, mailboxKey);
  const lockFile = mailboxLockFile(deps.dataDir, mailboxKey);
  await mkdir(path.dirname(lockFile), { recursive: true });
  const lock = tryLockFile(lockFile);
  if (!lock) {
    deps.log.info({ collector: c.name, mailbox: mailboxKey }, 'another session is collecting from this mailbox; skipped');
    return { ...report, busy: true };
  }
  const log = deps.log.child({ collector: c.name });
  opts.onStart?.(report);
  log.info({ session: report.sessionId, host: c.host, port: collectorPort(c), security: c.security, user: c.user }, `connecting to ${c.protocol.toUpperCase()} ${c.user} at ${c.host}:${collectorPort(c)} (${c.security})${opts.dryRun ? ' for a dry run' : ''}`);
  try {
    if (c.protocol === 'pop3') await runPop3Session(deps, c, mailboxKey, report, log, opts);
    else {
      // imapflow is large: loaded only by processes that collect over IMAP.
      const { runImapSession } = await import('./imap-session.js');
      await runImapSession(deps, c, mailboxKey, report, log, opts);
    }
  } catch (err) {
    report.errors.push(err instanceof Error ? err.message : String(err));
    log.debug({ err }, 'session failed');
  } finally {
    lock.release();
    report.durationMs = Date.now() - report.startedAt;
  }
  // Each error on its own line too: the summary joins them, the session's log reads better one by one.
  for (const e of report.errors) log.warn({ session: report.sessionId }, e);
  const line = formatReport(report);
  if (report.errors.length > 0) log.warn({ report }, line);
  else log.info({ report }, line);
  return { ...report, busy: false };
}
