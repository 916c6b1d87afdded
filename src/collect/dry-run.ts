/** `collect --dry-run`: who would receive a message, from its header alone. */
import type { CollectorConfig } from '../config/schema.js';
import { storeDirectory } from '../pipeline/directory.js';
import { messageIdOf } from '../pipeline/fingerprint.js';
import { decodeForDisplay, first, parseHeaderBlock } from '../pipeline/header-fields.js';
import { route } from '../pipeline/route.js';
import type { CollectDeps } from './fetched-message.js';
import { routingOf } from './fetched-message.js';

export async function planDryRun(deps: CollectDeps, c: CollectorConfig, remoteId: string, header: Buffer) {
  const settings = await deps.store.config.settings();
  const fields = parseHeaderBlock(header);
  const decision = await route(routingOf(c, Date.now()), fields, storeDirectory(deps.store, settings));
  const messageId = messageIdOf(fields);
  const since = Date.now() - settings.duplicates.globalDays * 86_400_000;
  const already: string[] = [];
  if (messageId && settings.duplicates.globalDays > 0) {
    for (const user of decision.recipients.keys()) if (await deps.store.deliveries.hasMessageId(user, messageId, since)) already.push(user);
  }
  const note = [
    ...decision.notes,
    ...(already.length ? [`already delivered to ${already.join(', ')} (would be suppressed if the content matches)`] : []),
    ...(decision.external.length ? [`outside addresses: ${decision.external.join(', ')}`] : []),
  ].join('; ');
  return { remoteId, subject: decodeForDisplay(first(fields, 'subject')), recipients: [...decision.recipients.keys()], note };
}
