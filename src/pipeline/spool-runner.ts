/**
 * Delivers what is left in the spool: messages accepted by a process that died before delivering
 * them, and messages whose delivery failed for a temporary reason. Runs inside `postroom start`.
 */
import type { Logger } from 'pino';
import { periodicService } from '../server/periodic-service.js';
import type { Service } from '../server/service.js';
import type { Store } from '../store/interfaces.js';
import type { Pipeline } from './pipeline.js';

/**
 * Asked before an entry is delivered; a reason means "do not deliver" (the check has marked the
 * entry done, e.g. a client's resend of a submission another entry already carries: smtp/resend.ts).
 */
export type SpoolCheck = (spoolId: number) => Promise<string | null>;

/** One pass over the spool. */
export interface SpoolPass {
  /** How long a fresh entry is left to the process that accepted it. */
  graceMs: number;
  /** The time the pass counts from (a test's clock). */
  now?: number;
  check?: SpoolCheck;
}

export interface SpoolRunnerOptions {
  /** How long a fresh entry is left to the process that accepted it (default 30 s). */
  graceMs?: number;
  /** Between passes (default 10 s). */
  intervalMs?: number;
  check?: SpoolCheck;
}

/** One pass: delivers every due entry. Returns how many were delivered. */
export async function drainSpool(store: Store, pipeline: Pipeline, log: Logger, { graceMs, now = Date.now(), check }: SpoolPass): Promise<number> {
  let delivered = 0;
  for (const id of await store.spool.pending(now, graceMs, 500)) {
    try {
      const skip = check ? await check(id) : null;
      if (skip) {
        log.info({ spool: id }, `spooled message not delivered: ${skip}`);
        continue;
      }
      const r = await pipeline.process(id);
      if (!r.alreadyDone) delivered++;
    } catch (err) {
      log.warn({ err, spool: id }, 'spooled message not delivered yet; will retry');
    }
  }
  if (delivered > 0) log.info({ delivered }, 'delivered messages left in the spool');
  return delivered;
}

/**
 * The spool service. Its start first delivers every pending entry at once, without the grace:
 * entries found at start were accepted by a process that is gone (the instance lock means no other
 * server runs, and delivery is idempotent should a `postroom deliver` still be at work), so waiting
 * 30 s would only delay mail that was already answered 250 — e.g. a list killed mid-expansion.
 * Start waits for that pass, so the server says it is running once the leftovers are in mailboxes.
 */
export function spoolRunner(store: Store, pipeline: Pipeline, log: Logger, { graceMs = 30_000, intervalMs = 10_000, check }: SpoolRunnerOptions = {}): Service {
  const withCheck = check ? { check } : {};
  const periodic = periodicService({
    name: 'spool',
    intervalMs,
    run: () => drainSpool(store, pipeline, log, { graceMs, ...withCheck }),
    log,
    failure: 'spool pass failed',
    doing: `retrying leftovers every ${intervalMs / 1000} s`,
  });
  return {
    ...periodic,
    async start(settings) {
      await drainSpool(store, pipeline, log, { graceMs: 0, ...withCheck }).catch((err: unknown) => log.error({ err }, 'spool pass at start failed'));
      await periodic.start(settings);
    },
  };
}
