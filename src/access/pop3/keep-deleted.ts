/**
 * The other half of `keepDeletedDays` (see commands/quit.ts): messages a POP3 client deleted wait
 * in the user's Trash for that many days, then this purge removes them. Each removal is logged
 * with the blob that holds the bytes (blobs are not garbage-collected), so an admin can still
 * find a message after the purge.
 */
import type { Logger } from 'pino';
import type { Settings } from '../../config/schema.js';
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
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = purgeKeptDeleted(maildrops, log)
      .catch((err: unknown) => log.error({ err }, 'purging messages kept after POP3 deletion failed; will try again'))
      .finally(() => (running = null));
  };
  return {
    name: 'pop3-trash-purge',
    async start(_settings: Settings) {
      tick();
      timer = setInterval(tick, intervalMs);
    },
    async reconfigure() {},
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    describe: () => (timer ? `purging POP3-deleted mail kept in Trash every ${Math.round(intervalMs / 60_000)} min` : 'stopped'),
  };
}
