/**
 * The other half of `keepDeletedDays` (see commands/quit.ts): messages a POP3 client deleted wait
 * in the user's Trash for that many days, then this purge removes them. Each removal is logged
 * with the blob that holds the bytes (blobs are not garbage-collected), so an admin can still
 * find a message after the purge.
 */
import type { Logger } from 'pino';
import { periodicService } from '../../server/periodic-service.js';
import type { Service } from '../../server/service.js';
import type { Pop3MaildropStore } from '../../store/interfaces.js';

/** One pass: removes what has been kept long enough. Returns how many messages were removed. */
export async function purgeKeptDeleted(maildrops: Pop3MaildropStore, log: Logger, now = Date.now()): Promise<number> {
  const purged = await maildrops.purgeTrash(now);
  for (const m of purged) {
    log.info(
      { user: m.owner, uid: m.uid, blob: m.blob, trashedAt: new Date(m.trashedAt).toISOString() },
      `message ${m.uid} in ${m.owner}'s Trash removed: deleted over POP3 and kept the user's keepDeletedDays`,
    );
  }
  return purged.length;
}

/** Runs the purge at start and then every `intervalMs` (hourly by default) inside `postroom start`. */
export function keptDeletedPurgeService(maildrops: Pop3MaildropStore, log: Logger, intervalMs = 3600_000): Service {
  return periodicService({
    name: 'pop3-trash-purge',
    intervalMs,
    run: () => purgeKeptDeleted(maildrops, log),
    log,
    failure: 'purging messages kept after POP3 deletion failed; will try again',
    doing: `purging POP3-deleted mail kept in Trash every ${Math.round(intervalMs / 60_000)} min`,
  });
}
