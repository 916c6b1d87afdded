/**
 * Mailing lists (`type: mailing`). Routing does not expand them (src/pipeline/route.ts records
 * them in `RoutingDecision.lists`); the pipeline asks this module for the list's own copy: a NEW
 * message (stored blobs are shared and immutable), made of the list headers followed by the
 * original, spooled with source kind 'list' and the members as envelope recipients. The pipeline
 * writes that spool row in the transaction that marks the original delivered, so each post is
 * re-injected exactly once, even across a crash. A copy already carrying the list's List-Id is
 * never expanded again (no loop, also through nested lists).
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ListConfig, Settings } from '../config/schema.js';
import { addressesIn, first, type HeaderField, values } from '../pipeline/header-fields.js';
import type { ReceivedMessage } from '../pipeline/pipeline.js';
import type { Source, Store } from '../store/interfaces.js';

/** What building a list copy needs from the pipeline (kept narrow to avoid an import cycle). */
export interface ListCopyDeps {
  store: Store;
  blobs: BlobStore;
  /** Pipeline.receive: streams a message to a new blob, not yet durable. */
  receive: (req: { source: Source; routing: { mode: 'envelope'; recipients: string[] }; content: Readable }) => Promise<ReceivedMessage>;
}

/** The outcome for one post to the mailing lists it reached. */
export interface ListCopies {
  /** One received (not yet durable) message per list that distributes the post. */
  copies: ReceivedMessage[];
  /** Lists that refused the post (membersOnly, sender not a member): it goes to unknownRecipient. */
  refusedBy: string[];
  notes: string[];
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The list's List-Id value (RFC 2919): `<name.domain>`, the domain being the list address's. */
export function listId(list: ListConfig): string {
  return `<${list.name}.${domainOf(list.address)}>`;
}

/** The header lines prepended to every copy (RFC 2369: unsubscribing goes to the postmaster). */
export function listHeaders(list: ListConfig): Buffer {
  const domain = domainOf(list.address);
  return Buffer.from(
    `List-Id: ${listId(list)}\r\n` +
      `List-Unsubscribe: <mailto:postmaster@${domain}?subject=unsubscribe%20${list.name}>\r\n` +
      `List-Post: <mailto:${list.address}>\r\n`,
  );
}

/** Whether the header block already carries this list's List-Id: the copy came back (a loop). */
export function carriesListId(fields: HeaderField[], list: ListConfig): boolean {
  const id = listId(list).toLowerCase();
  return values(fields, 'list-id').some((v) => v.toLowerCase().includes(id));
}

/** The members that `sender` is: an address member equal to it, or a member user owning it. */
async function memberMatches(store: Store, list: ListConfig, sender: string): Promise<string[]> {
  const s = sender.toLowerCase();
  const out: string[] = [];
  for (const m of list.members) {
    if (m.includes('@')) {
      if (m.toLowerCase() === s) out.push(m);
    } else if ((await store.users.get(m))?.addresses.some((a) => a.toLowerCase() === s)) out.push(m);
  }
  return out;
}

/** Whether `sender` may post to `list`: always, unless it is a members-only mailing list. */
export async function mayPost(store: Store, list: ListConfig, sender: string): Promise<boolean> {
  if (list.type !== 'mailing' || !list.membersOnly) return true;
  return sender !== '' && (await memberMatches(store, list, sender)).length > 0;
}

/** The poster: the envelope sender, else the From address (a collected message has no envelope). */
export function posterOf(envelopeFrom: string | undefined, fields: HeaderField[]): string {
  if (envelopeFrom) return envelopeFrom.toLowerCase();
  return addressesIn(first(fields, 'from') ?? '')[0] ?? '';
}

/**
 * Builds the list copies of one spooled post (`parentSpool`, whose blob and header fields are
 * given). Nothing is durable yet: the caller persists the blobs and spools the entries in its
 * delivery transaction.
 */
export async function listCopies(
  deps: ListCopyDeps,
  post: { parentSpool: number; blob: string; envelopeFrom?: string; fields: HeaderField[] },
  listNames: string[],
  settings: Settings,
): Promise<ListCopies> {
  const out: ListCopies = { copies: [], refusedBy: [], notes: [] };
  const poster = posterOf(post.envelopeFrom, post.fields);
  for (const name of listNames) {
    const list = await deps.store.config.list(name);
    if (!list) continue;
    if (carriesListId(post.fields, list)) {
      out.notes.push(`list ${name}: the message already carries List-Id ${listId(list)}; not expanded again (loop)`);
      continue;
    }
    if (!(await mayPost(deps.store, list, poster))) {
      out.refusedBy.push(name);
      out.notes.push(`list ${name}: members only, and ${poster || 'the null sender'} is not a member; kept for "${settings.unknownRecipient}"`);
      continue;
    }
    const self = list.noSelfCopy ? new Set(await memberMatches(deps.store, list, poster)) : new Set<string>();
    // Member user names become addresses so that the copy's routing is plain envelope routing.
    const recipients = list.members.filter((m) => !self.has(m)).map((m) => (m.includes('@') ? m.toLowerCase() : `${m}@${settings.domains[0]}`));
    if (self.size > 0) out.notes.push(`list ${name}: no copy back to the poster ${poster} (noSelfCopy)`);
    if (recipients.length === 0) continue;
    const content = Readable.from(
      (async function* () {
        yield listHeaders(list);
        for await (const chunk of deps.blobs.read(post.blob)) yield chunk as Buffer;
      })(),
    );
    out.copies.push(
      await deps.receive({
        source: { kind: 'list', name, detail: { list: name, parentSpool: post.parentSpool }, envelopeFrom: post.envelopeFrom ?? '' },
        routing: { mode: 'envelope', recipients },
        content,
      }),
    );
    out.notes.push(`list ${name}: a copy with List-Id ${listId(list)} for ${recipients.length} member(s)`);
  }
  return out;
}
