/**
 * Expiry of held copies: a copy stays in "Possible duplicates" for `duplicates.heldDays` days, where
 * the user can see it and release it; after that it is removed from the folder, logged, and a
 * provenance event records where it was and which blob holds its bytes. `heldDays: 0` keeps held
 * copies for ever (nothing is removed that nobody chose to remove).
 */
import type { Logger } from 'pino';
import { periodicService } from '../server/periodic-service.js';
import type { Service } from '../server/service.js';
import type { HeldCopy, Store } from '../store/interfaces.js';

const DAY_MS = 86_400_000;

/** When a copy held at `heldAt` expires (what the pages, the API and the CLI show); null with `heldDays: 0` (kept for ever). */
export function heldExpiresAt(heldAt: number, heldDays: number): number | null {
  return heldDays > 0 ? heldAt + heldDays * DAY_MS : null;
}

/** One pass: expires what has been held longer than `heldDays`. Returns the expired copies. */
export async function expireHeldCopies(store: Store, log: Logger, actor: string, now = Date.now()): Promise<HeldCopy[]> {
  const { heldDays } = (await store.config.settings()).duplicates;
  if (heldDays <= 0) return [];
  const expired = await store.held.expire(now - heldDays * DAY_MS, actor, now);
  for (const h of expired) {
    log.info(
      { delivery: h.deliveryId, user: h.user, uid: h.uid, messageId: h.messageId, blob: h.blob, heldAt: new Date(h.heldAt).toISOString() },
      `held copy #${h.deliveryId} of ${h.user} ("${h.subject ?? 'no subject'}") expired after ${heldDays} days in "Possible duplicates"`,
    );
  }
  return expired;
}

/** Runs the expiry at start and then every `intervalMs` (hourly by default) inside `postroom start`. */
export function heldExpiryService(store: Store, log: Logger, intervalMs = 3600_000): Service {
  return periodicService({
    name: 'held-expiry',
    intervalMs,
    run: () => expireHeldCopies(store, log, 'expiry'),
    log,
    failure: 'expiring held copies failed; will try again',
    doing: `expiring held copies every ${Math.round(intervalMs / 60_000)} min`,
  });
}
