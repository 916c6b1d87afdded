/**
 * One POP3 collector session: list, skip what the journal knows, download the rest (pipelined),
 * delete what is due, QUIT.
 *
 * Exactly once: a message's journal row commits with its spool row, so a crash at any instant
 * either left nothing (downloaded again next time) or left the journal row (never downloaded
 * again; delivered from the spool). DELE is only sent for delivered messages, and a deletion is
 * recorded only once QUIT is answered +OK (RFC 1939 section 6: before that the server undeletes).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { collectorPort, type CollectorConfig } from '../config/schema.js';
import { Pop3Client, Pop3Error } from './pop3-client/index.js';
import { FetchBatcher, routingOf, type CollectDeps } from './fetched-message.js';
import { planDryRun } from './dry-run.js';
import { checkRemoteMailbox } from './anomalies.js';
import type { SessionReport } from './session-report.js';

export interface SessionOptions {
  dryRun: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Test hook: extra options for the POP3 client (e.g. trusted CA). */
  tls?: { ca?: string | Buffer };
}

export async function runPop3Session(deps: CollectDeps, c: CollectorConfig, mailboxKey: string, report: SessionReport, log: Logger, opts: SessionOptions): Promise<void> {
  const client = await Pop3Client.connect({
    host: c.host,
    port: collectorPort(c),
    security: c.security,
    user: c.user,
    password: c.password ?? '',
    label: `collector ${c.name}`,
    rejectUnauthorized: c.verifyCertificate,
    timeoutMs: c.timeoutSeconds * 1000,
    ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}),
  });
  const onAbort = () => client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let quitSent = false;
  try {
    const list = await client.list();
    report.seen = list.length;
    const ids = await remoteIds(client, list, report, log, c);
    let journal = await deps.store.journal.lookup(mailboxKey, [...ids.values()]);
    // Another program deleting from the mailbox, or UIDLs renumbered (see anomalies.ts).
    const listed = list.map((m) => ({ remoteId: ids.get(m.id)!, size: m.size, ...(report.noUidl ? {} : { header: async () => readAll(await client.top(m.id, 0)) }) }));
    const anomaly = opts.dryRun ? { pauseDeletion: false, aliased: 0 } : await checkRemoteMailbox(deps.store, log, { collector: c.name, mailboxKey, listed, known: journal });
    if (anomaly.aliased > 0) journal = await deps.store.journal.lookup(mailboxKey, [...ids.values()]);

    // Leftovers of a session that died after spooling: deliver them now (idempotent).
    for (const e of journal.values()) {
      if (!e.delivered) {
        await deps.pipeline.process(e.spoolId);
        e.delivered = true;
      }
    }
    const todo = list.filter((m) => !journal.has(ids.get(m.id)!)).map((m) => m.id);
    log.info({ onServer: list.length, new: todo.length }, `${list.length} message${list.length === 1 ? '' : 's'} on the server, ${todo.length} not downloaded yet`);
    if (opts.dryRun) {
      report.plan = [];
      for (const id of todo) {
        const header = await readAll(await client.top(id, 0));
        report.plan.push(await planDryRun(deps, c, ids.get(id)!, header));
      }
      return;
    }
    const routing = routingOf(c, report.startedAt);
    let done = 0;
    opts.onProgress?.(0, todo.length);
    const batcher = new FetchBatcher(deps, c, mailboxKey, routing, report);
    let result;
    try {
      result = await client.retrieveMany(todo, async (id, body) => {
        await batcher.add(ids.get(id)!, body);
        opts.onProgress?.(++done, todo.length);
      });
    } catch (err) {
      // The messages received whole before the failure are kept: not downloaded again next time.
      await batcher.flush().catch(() => batcher.discard());
      throw err;
    }
    await batcher.flush();
    for (const r of result.refused) report.errors.push(`message ${r.id} (${ids.get(r.id)}): ${r.error.message}`);

    // Deletions: delivered, past leaveOnServerDays, and still on the server.
    const now = Date.now();
    const after = await deps.store.journal.lookup(mailboxKey, [...ids.values()]);
    const due: Array<{ id: number; remoteId: string }> = [];
    for (const m of list) {
      const e = after.get(ids.get(m.id)!);
      if (!e?.delivered) continue;
      if (e.firstSeen + c.leaveOnServerDays * 86_400_000 <= now) due.push({ id: m.id, remoteId: e.remoteId });
      else report.kept++;
    }
    if (anomaly.pauseDeletion) report.kept += due.splice(0).length;
    // Before the first DELE: if QUIT's answer is lost, their absence next time is not another program's doing.
    if (due.length > 0) await deps.store.anomalies.deleSent(mailboxKey, due.map((d) => d.remoteId), Date.now());
    for (const d of due) await client.dele(d.id);
    quitSent = true;
    await client.quit();
    if (due.length > 0) await deps.store.journal.markDeleted(mailboxKey, due.map((d) => d.remoteId), Date.now());
    report.deleted = due.length;
    if (due.length > 0) log.info({ deleted: due.length }, `deleted ${due.length} delivered message${due.length === 1 ? '' : 's'} from the server`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!quitSent) {
      // Without QUIT nothing is deleted; be polite when we can, but never wait long for it.
      await Promise.race([client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      client.close();
    }
  }
}

/** UIDLs, or when the server has none, a hash of each message's header and size (with a warning). */
async function remoteIds(client: Pop3Client, list: Array<{ id: number; size: number }>, report: SessionReport, log: Logger, c: CollectorConfig): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  if (client.supportsUidl !== false) {
    try {
      for (const u of await client.uidl()) ids.set(u.id, u.uid);
      return ids;
    } catch (e) {
      if (!(e instanceof Pop3Error) || e.kind !== 'protocol') throw e;
    }
  }
  report.noUidl = true;
  log.warn({ collector: c.name }, 'the server has no UIDL: messages are identified by their header and size; leave-on-server works, but a server that rewrites headers will cause downloads again (the duplicate ledger still catches them)');
  for (const m of list) {
    const header = await readAll(await client.top(m.id, 0));
    ids.set(m.id, `hdr:${createHash('sha256').update(header).update(`:${m.size}`).digest('hex')}`);
  }
  return ids;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}
