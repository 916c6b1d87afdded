/**
 * Releasing a held copy: moves it from "Possible duplicates" to the user's INBOX (new UID) and logs
 * it. Used by `postroom duplicates release` and the admin "Possible duplicates" page.
 */
import type { Logger } from 'pino';
import type { HeldCopy, Store } from '../store/interfaces.js';

/** The released copy and its new INBOX UID, or undefined when no copy with that id is held. */
export async function releaseHeldCopy(store: Store, log: Logger, deliveryId: number, actor: string, now = Date.now()): Promise<{ held: HeldCopy; uid: number } | undefined> {
  const held = await store.held.get(deliveryId);
  const r = held ? await store.held.release(deliveryId, actor, now) : undefined;
  if (!held || !r) return undefined;
  log.info({ delivery: deliveryId, user: held.user, uid: r.uid, actor }, 'held copy released');
  return { held, uid: r.uid };
}
