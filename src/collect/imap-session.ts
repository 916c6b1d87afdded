/**
 * One IMAP collector session (imapflow): select the folder, skip UIDs the journal knows (keyed
 * UIDVALIDITY:UID), download the rest by UID, then delete what is due (\Deleted + UID EXPUNGE
 * where the server has UIDPLUS). A changed UIDVALIDITY makes every message look new: they are
 * downloaded again and the pipeline's ledger suppresses the copies already delivered.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { collectorPort, type CollectorConfig } from '../config/schema.js';
import { MailError } from '../errors.js';
import { planDryRun } from './dry-run.js';
import { checkRemoteMailbox } from './anomalies.js';
import { FetchBatcher, routingOf, type CollectDeps } from './fetched-message.js';
import type { SessionOptions } from './pop3-session.js';
import type { SessionReport } from './session-report.js';

export async function runImapSession(deps: CollectDeps, c: CollectorConfig, mailboxKey: string, report: SessionReport, log: Logger, opts: SessionOptions): Promise<void> {
  const port = collectorPort(c);
  const client = new ImapFlow({
    host: c.host,
    port,
    secure: c.security === 'tls',
    doSTARTTLS: c.security === 'starttls',
    auth: { user: c.user, pass: c.password ?? '' },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: c.timeoutSeconds * 1000,
    greetingTimeout: c.timeoutSeconds * 1000,
    socketTimeout: c.timeoutSeconds * 1000,
    tls: { rejectUnauthorized: c.verifyCertificate, ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}) },
  });
  client.on('error', (err: Error) => log.warn({ err, collector: c.name }, 'IMAP connection error'));
  const onAbort = () => void client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect().catch((err: unknown) => {
      throw explain(c, port, err);
    });
    const lock = await client.getMailboxLock(c.folder).catch((err: unknown) => {
      throw new MailError({ message: `collector ${c.name}: cannot open folder "${c.folder}" on ${c.host}: check the collector's folder`, cause: err });
    });
    try {
      const box = client.mailbox;
      if (!box) throw new MailError({ message: `collector ${c.name}: folder "${c.folder}" did not open` });
      const validity = String(box.uidValidity);
      const uids = box.exists > 0 ? ((await client.search({ all: true }, { uid: true })) || []) : [];
      report.seen = uids.length;
      const idOf = (uid: number) => `${validity}:${uid}`;
      const journal = await deps.store.journal.lookup(mailboxKey, uids.map(idOf));
      // Overlap only: IMAP does not renumber within a UIDVALIDITY, and a new UIDVALIDITY is left to the ledger (header).
      if (!opts.dryRun) {
        const listed = uids.map((u) => ({ remoteId: idOf(u), size: 0 }));
        await checkRemoteMailbox(deps.store, log, { collector: c.name, mailboxKey, listed, known: journal, inScope: (id) => id.startsWith(`${validity}:`) });
      }
      for (const e of journal.values()) {
        if (!e.delivered) {
          await deps.pipeline.process(e.spoolId);
          e.delivered = true;
        }
      }
      const todo = uids.filter((u) => !journal.has(idOf(u)));
      log.info({ onServer: uids.length, new: todo.length }, `${uids.length} message${uids.length === 1 ? '' : 's'} in ${c.folder}, ${todo.length} not downloaded yet`);
      if (opts.dryRun) {
        report.plan = [];
        for (const uid of todo) {
          const msg = await client.fetchOne(String(uid), { headers: true }, { uid: true });
          report.plan.push(await planDryRun(deps, c, idOf(uid), msg && msg.headers ? msg.headers : Buffer.alloc(0)));
        }
        return;
      }
      const routing = routingOf(c, report.startedAt);
      let done = 0;
      opts.onProgress?.(0, todo.length);
      const batcher = new FetchBatcher(deps, c, mailboxKey, routing, report);
      try {
        for (const uid of todo) {
          const dl = await client.download(String(uid), undefined, { uid: true });
          if (!dl.content) {
            report.errors.push(`UID ${uid}: gone before it could be downloaded`);
            continue;
          }
          await batcher.add(idOf(uid), dl.content);
          opts.onProgress?.(++done, todo.length);
        }
      } catch (err) {
        await batcher.flush().catch(() => batcher.discard());
        throw err;
      }
      await batcher.flush();
      const now = Date.now();
      const after = await deps.store.journal.lookup(mailboxKey, uids.map(idOf));
      const due: number[] = [];
      for (const uid of uids) {
        const e = after.get(idOf(uid));
        if (!e?.delivered) continue;
        if (e.firstSeen + c.leaveOnServerDays * 86_400_000 <= now) due.push(uid);
        else report.kept++;
      }
      if (due.length > 0) {
        // IMAP deletes at EXPUNGE, not at logout: once this resolves they are gone.
        await deps.store.anomalies.deleSent(mailboxKey, due.map(idOf), Date.now());
        await client.messageDelete(due.join(','), { uid: true });
        await deps.store.journal.markDeleted(mailboxKey, due.map(idOf), Date.now());
        report.deleted = due.length;
        log.info({ deleted: due.length }, `deleted ${due.length} delivered message${due.length === 1 ? '' : 's'} from ${c.folder}`);
      }
    } finally {
      lock.release();
    }
    await client.logout();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    client.close();
  }
}

function explain(c: CollectorConfig, port: number, err: unknown): MailError {
  const e = err as { authenticationFailed?: boolean; code?: string; message?: string };
  const where = `collector ${c.name} (${c.user} on ${c.host}:${port})`;
  if (e.authenticationFailed) return new MailError({ message: `${where}: wrong user name or password: check the collector's user and password`, cause: err, temporary: false });
  if (e.code === 'ECONNREFUSED') return new MailError({ message: `${where}: connection refused: check host, port and security`, cause: err });
  if (/certificate|self.signed|TLS|SSL/i.test(e.message ?? '')) return new MailError({ message: `${where}: TLS failed (${e.message}): fix the certificate, or set security/verifyCertificate`, cause: err });
  return new MailError({ message: `${where}: ${e.message ?? String(err)}`, cause: err });
}
