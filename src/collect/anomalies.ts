/**
 * What a collector session notices about its remote mailbox besides the mail itself:
 *
 * - Overlap: messages we downloaded and did not delete are no longer listed. Something else
 *   (Outlook on a desk, another server) downloads from the mailbox and deletes. Each vanished
 *   message is reported once (its journal row is marked gone). Also: messages listed by a session
 *   that was cut before downloading them, gone by the next session.
 * - Renumbered UIDLs: most listed UIDLs are new, and their sizes (LIST) and Message-IDs (TOP n 0)
 *   match messages the journal has for this mailbox that are no longer listed under their old
 *   UIDL. The new UIDLs become aliases of the old journal rows (so nothing is downloaded again),
 *   and the session sends no DELE: a server that renumbered once may have muddled more than
 *   UIDLs, and deleting is the one thing that cannot be undone.
 *
 * Cheap by design: per session one COUNT and one read of the (usually empty) unfetched set, a
 * write only when there was new mail; the journal's open rows only when some are not listed; TOP
 * only for unknown UIDLs whose size matches a vanished message, only when more than half of the
 * listing is unknown.
 */
import type { Logger } from 'pino';
import { messageIdOf } from '../pipeline/fingerprint.js';
import { parseHeaderBlock } from '../pipeline/header-fields.js';
import type { CollectorJournalStore, JournalEntry, MailboxAnomalyStore, OpenJournalEntry } from '../store/interfaces.js';

export interface ListedMessage {
  remoteId: string;
  size: number;
  /** The message's header (POP3: TOP n 0); called only for renumbering candidates. */
  header?: () => Promise<Buffer>;
}

export interface MailboxCheck {
  collector: string;
  mailboxKey: string;
  listed: ListedMessage[];
  /** The journal's entries for the listed remote ids. */
  known: Map<string, JournalEntry>;
  /** The journal rows this listing can show (IMAP: the current UIDVALIDITY's); default all. */
  inScope?: (remoteId: string) => boolean;
}

export interface AnomalyOutcome {
  /** No DELE in this session. */
  pauseDeletion: boolean;
  /** New UIDLs recorded as aliases of journal rows: look the journal up again. */
  aliased: number;
  /** Messages gone from the server without our DELE. */
  vanished: number;
}

const NOTHING: AnomalyOutcome = { pauseDeletion: false, aliased: 0, vanished: 0 };
const EXAMPLES = 5;

export async function checkRemoteMailbox(stores: { anomalies: MailboxAnomalyStore; journal: CollectorJournalStore }, log: Logger, s: MailboxCheck, now = Date.now()): Promise<AnomalyOutcome> {
  const store = stores.anomalies;
  const listedIds = new Set(s.listed.map((m) => m.remoteId));
  const inScope = s.inScope ?? (() => true);
  const neverHad = await vanishedBeforeDownload(stores, s, listedIds, inScope, now);

  let listedOpen = 0;
  for (const e of s.known.values()) if (e.deletedAt === null) listedOpen++;
  // Every open journal row is listed: nothing vanished, and nothing old to match new UIDLs with.
  const anyMissing = (await store.countOpen(s.mailboxKey)) > listedOpen;
  if (!anyMissing && neverHad.length === 0) return NOTHING;
  const notListed = anyMissing ? (await store.open(s.mailboxKey)).filter((e) => !listedIds.has(e.remoteId) && inScope(e.remoteId)) : [];
  // We sent DELE and QUIT's answer was lost, but the server did delete them: our deletion after all.
  const ours = notListed.filter((e) => e.deleSent).map((e) => e.remoteId);
  if (ours.length > 0) await stores.journal.markDeleted(s.mailboxKey, ours, now);
  const missing = notListed.filter((e) => !e.deleSent);
  if (missing.length === 0 && neverHad.length === 0) return NOTHING;

  const { aliases, sizeOnly } = missing.length > 0 ? await findRenamed(s, missing) : { aliases: [], sizeOnly: [] };
  const renamed = new Set([...aliases.map((a) => a.oldId), ...sizeOnly]);
  const gone = [...missing.filter((e) => !renamed.has(e.remoteId)).map((e) => e.remoteId), ...neverHad];
  if (renamed.size > 0) {
    log.warn(
      { collector: s.collector, mailbox: s.mailboxKey, renumbered: renamed.size },
      `collector ${s.collector}: the server renumbered its UIDLs: ${renamed.size} messages already downloaded are listed under new UIDLs (${aliases.length} recognised by size and Message-ID and not downloaded again; the rest are downloaded again and the duplicate ledger suppresses or holds them); no message is deleted in this session`,
    );
    const examples = [...aliases.map((a) => `${a.oldId} -> ${a.newId}`), ...sizeOnly].slice(0, EXAMPLES);
    await store.record({ mailboxKey: s.mailboxKey, collector: s.collector, kind: 'renumbered', at: now, count: renamed.size, examples }, sizeOnly, aliases);
  }
  if (gone.length > 0) {
    log.warn(
      { collector: s.collector, mailbox: s.mailboxKey, vanished: gone.length },
      `collector ${s.collector}: ${gone.length} message${gone.length === 1 ? '' : 's'} vanished from ${s.mailboxKey} without our DELE: another program downloads from this mailbox and deletes; set it to leave mail on the server, or remove it`,
    );
    await store.record({ mailboxKey: s.mailboxKey, collector: s.collector, kind: 'overlap', at: now, count: gone.length, examples: gone.slice(0, EXAMPLES) }, gone, []);
  }
  return { pauseDeletion: renamed.size > 0, aliased: aliases.length, vanished: gone.length };
}

/**
 * Remote ids the last session listed but did not download (a cut session) that are gone now and
 * not in the journal: another program took them before we could. Then remembers this listing's
 * unknown ids for the next session (usually just the new mail, downloaded in a moment).
 */
async function vanishedBeforeDownload(
  stores: { anomalies: MailboxAnomalyStore; journal: CollectorJournalStore },
  s: MailboxCheck,
  listedIds: Set<string>,
  inScope: (remoteId: string) => boolean,
  now: number,
): Promise<string[]> {
  const remembered = await stores.anomalies.unfetched(s.mailboxKey);
  const before = remembered.filter((id) => !listedIds.has(id) && inScope(id));
  const downloaded = before.length > 0 ? await stores.journal.lookup(s.mailboxKey, before) : new Map<string, JournalEntry>();
  const unknown = s.listed.filter((m) => !s.known.has(m.remoteId)).map((m) => m.remoteId);
  if (remembered.length > 0 || unknown.length > 0) await stores.anomalies.setUnfetched(s.mailboxKey, unknown, now);
  return before.filter((id) => !downloaded.has(id));
}

/**
 * Unknown listed messages that are a missing journal entry under a new name: `aliases` have the
 * same size and Message-ID; `sizeOnly` are missing entries without a Message-ID whose size an
 * unknown message has. Those are not proof enough to skip a download (they are downloaded again;
 * the ledger's content match holds them in "Possible duplicates"), but enough not to call them
 * taken by another program.
 */
async function findRenamed(s: MailboxCheck, missing: OpenJournalEntry[]): Promise<{ aliases: Array<{ newId: string; oldId: string }>; sizeOnly: string[] }> {
  const aliases: Array<{ newId: string; oldId: string }> = [];
  const sizeOnly: string[] = [];
  const unknown = s.listed.filter((m) => !s.known.has(m.remoteId));
  if (unknown.length * 2 <= s.listed.length) return { aliases, sizeOnly };
  const bySize = new Map<number, OpenJournalEntry[]>();
  for (const e of missing) for (const size of e.sizes) bySize.set(size, [...(bySize.get(size) ?? []), e]);
  const used = new Set<string>();
  for (const m of unknown) {
    const candidates = (bySize.get(m.size) ?? []).filter((e) => !used.has(e.remoteId));
    if (candidates.length === 0 || !m.header) continue;
    // A TOP refused (-ERR) proves nothing either way; a lost connection fails the next command.
    const header = await m.header().catch(() => undefined);
    if (!header) continue;
    const messageId = messageIdOf(parseHeaderBlock(header));
    const match = messageId ? candidates.find((e) => e.messageId === messageId) : candidates.find((e) => e.messageId === null);
    if (!match) continue;
    used.add(match.remoteId);
    if (messageId) aliases.push({ newId: m.remoteId, oldId: match.remoteId });
    else sizeOnly.push(match.remoteId);
  }
  return { aliases, sizeOnly };
}
