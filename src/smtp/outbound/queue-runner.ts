/**
 * The outbound worker inside `postroom start`: takes due rows of the outbound queue, relays each
 * message once for all its due recipients, and records the answer per recipient. Temporary
 * failures are retried with exponential backoff (`outbound.retrySeconds` doubling up to
 * `maxRetrySeconds`); a permanent refusal, or a recipient still queued after
 * `outbound.bounceAfterHours`, is bounced to the sender with a DSN. The bounce is made before the
 * rows are marked failed: a crash in between repeats a bounce rather than losing it.
 */
import type { Settings } from '../../config/schema.js';
import { MailError } from '../../errors.js';
import type { DataContext } from '../../server/data-dir.js';
import { readStoredHeader } from '../../pipeline/stored-header.js';
import { periodicService } from '../../server/periodic-service.js';
import type { Service } from '../../server/service.js';
import type { OutboundItem } from '../../store/interfaces.js';
import { buildDsn, type DsnAction, type FailedRecipient } from './dsn.js';
import { relayMessage } from './relay.js';

export interface QueueRunnerOptions {
  intervalMs: number;
}

/** The outbound service, plus a way to run one pass now (tests, `queue retry`). */
export interface QueueRunner extends Service {
  runOnce(now?: number): Promise<void>;
}

export function outboundQueueRunner(ctx: DataContext, opts: QueueRunnerOptions = { intervalMs: 5000 }): QueueRunner {
  const log = ctx.log.child({ service: 'outbound' });

  const runOnce = async (now = Date.now()) => {
    const settings = await ctx.store.config.settings();
    const due = await ctx.store.outbound.due(now, 500);
    const groups = new Map<string, OutboundItem[]>();
    for (const item of due) {
      const key = `${item.ingestId}\n${item.sender ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    for (const items of groups.values()) await attempt(settings, items, now);
  };

  const attempt = async (settings: Settings, items: OutboundItem[], now: number) => {
    const first = items[0]!;
    const recipients = items.map((i) => i.recipient);
    const byRecipient = new Map(items.map((i) => [i.recipient, i]));
    const temporary = async (targets: OutboundItem[], error: string) => {
      const expired = targets.filter((i) => now - i.createdAt >= settings.outbound.bounceAfterHours * 3_600_000);
      const retry = targets.filter((i) => !expired.includes(i));
      if (retry.length > 0) {
        const delay = Math.min(settings.outbound.maxRetrySeconds, settings.outbound.retrySeconds * 2 ** Math.min(first.attempts, 20)) * 1000;
        await ctx.store.outbound.deferred(retry.map((i) => i.id), error, now, now + delay);
        log.warn({ ingest: first.ingestId, recipients: retry.map((i) => i.recipient), retryInS: delay / 1000, error }, 'relay deferred');
        await warnDelayed(settings, retry, error, now);
      }
      if (expired.length > 0) await permanent(expired.map((i) => ({ item: i, status: '4.4.7', reply: `gave up after ${settings.outbound.bounceAfterHours} hours: ${error}` })));
    };
    const permanent = async (failed: Array<{ item: OutboundItem; status: string; reply: string }>) => {
      await bounce(settings, failed, now);
      for (const f of failed) await ctx.store.outbound.failed([f.item.id], f.reply, now);
      log.warn({ ingest: first.ingestId, recipients: failed.map((f) => f.item.recipient) }, 'relay failed permanently; bounced to the sender');
    };

    if (!settings.relay) return temporary(items, 'no relay (smarthost) configured');
    try {
      const outcome = await relayMessage(settings.relay, settings.hostname, first.sender, recipients, ctx.blobs.read(first.blob), first.size);
      const accepted = outcome.accepted.flatMap((r) => byRecipient.get(r.toLowerCase()) ?? []);
      if (accepted.length > 0) {
        await ctx.store.outbound.sent(accepted.map((i) => i.id), outcome.response, now);
        log.info({ ingest: first.ingestId, recipients: accepted.map((i) => i.recipient), response: outcome.response }, 'relayed');
      }
      const refused = outcome.rejected.flatMap((r) => {
        const item = byRecipient.get(r.recipient.toLowerCase());
        return item ? [{ item, ...r }] : [];
      });
      const perm = refused.filter((r) => r.permanent);
      if (perm.length > 0) await permanent(perm.map((r) => ({ item: r.item, status: enhancedOf(r.reply, '5.0.0'), reply: r.reply })));
      const temp = refused.filter((r) => !r.permanent);
      if (temp.length > 0) await temporary(temp.map((r) => r.item), temp[0]!.reply);
    } catch (err) {
      const m = err instanceof MailError ? err : new MailError({ message: String(err), cause: err });
      if (m.temporary) await temporary(items, m.message);
      else await permanent(items.map((item) => ({ item, status: enhancedOf(m.publicMessage, '5.0.0'), reply: m.publicMessage })));
    }
  };

  /** Tells the sender, once per recipient, that delivery is late and still being tried. */
  const warnDelayed = async (settings: Settings, items: OutboundItem[], error: string, now: number) => {
    const hours = settings.outbound.delayWarningHours;
    const late = items.filter((i) => hours > 0 && i.warnedAt === null && now - i.createdAt >= hours * 3_600_000);
    if (late.length === 0) return;
    // Marked first: a crash may then lose a warning, but never sends it twice (it is only a warning).
    await ctx.store.outbound.warned(late.map((i) => i.id), now);
    const retryUntil = new Date(late[0]!.createdAt + settings.outbound.bounceAfterHours * 3_600_000);
    await notifySender(settings, late.map((item) => ({ item, status: '4.4.7', reply: error })), now, 'delayed', retryUntil);
    log.info({ ingest: late[0]!.ingestId, recipients: late.map((i) => i.recipient) }, 'told the sender delivery is delayed');
  };

  /** Sends one DSN to the sender of these rows (never for the null sender: no bounce loops). */
  const bounce = (settings: Settings, failed: Array<{ item: OutboundItem; status: string; reply: string }>, now: number) => notifySender(settings, failed, now, 'failed');

  const notifySender = async (settings: Settings, failed: Array<{ item: OutboundItem; status: string; reply: string }>, now: number, action: DsnAction, retryUntil?: Date) => {
    const sender = failed[0]!.item.sender;
    if (!sender) return;
    const list: FailedRecipient[] = failed.map((f) => ({ recipient: f.item.recipient, status: f.status, diagnostic: f.reply, lastAttempt: new Date(now) }));
    const dsn = buildDsn({
      hostname: settings.hostname,
      to: sender,
      arrival: new Date(failed[0]!.item.createdAt),
      failed: list,
      // The stored message's header block (up to 64 KB), for the DSN's text/rfc822-headers part.
      originalHeaders: await readStoredHeader(ctx.blobs, failed[0]!.item.blob, 64 * 1024),
      action,
      ...(retryUntil ? { retryUntil } : {}),
    });
    await ctx.pipeline.ingest({
      source: { kind: 'smtp', name: 'Postroom bounce', detail: { bounceFor: failed.map((f) => f.item.id) }, envelopeFrom: '' },
      routing: { mode: 'envelope', recipients: [sender] },
      content: [dsn],
    });
  };

  const service = periodicService({
    name: 'outbound',
    intervalMs: opts.intervalMs,
    run: () => runOnce(),
    log,
    failure: 'outbound pass failed',
    doing: `relaying every ${opts.intervalMs / 1000} s`,
  });
  return { ...service, runOnce };
}

/** The enhanced status code in a reply ("550 5.1.1 ..."), or the fallback. */
function enhancedOf(reply: string, fallback: string): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1] ?? fallback;
}
