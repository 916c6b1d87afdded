/**
 * The message trace: find a recent message by sender, recipient, subject or Message-ID, and tell
 * its story as a timeline (arrived, routed, suppressed/held/delivered, relayed, fetched by a client).
 * One service for the admin pages, the JSON API and `postroom trace`, so all three say the same.
 */
import type { CopyStory, Source, Store, TraceField, TraceIngest, TraceSummary } from '../store/interfaces.js';

export const TRACE_FIELDS: readonly TraceField[] = ['any', 'from', 'to', 'subject', 'messageId'];
/** How far back a search looks. */
export const TRACE_DAYS = 7;
const LIMIT = 200;

export interface TraceSearch {
  text: string;
  field: TraceField;
}

/** Reads a search from loose input (a query string, CLI options); an unknown field is 'any'. */
export function traceSearch(text: unknown, field: unknown): TraceSearch {
  const f = TRACE_FIELDS.find((x) => x === field) ?? 'any';
  let t = typeof text === 'string' ? text.trim() : '';
  // Message-IDs are stored normalized (no brackets, lower case): search the way they are kept.
  if (f === 'messageId') t = t.replace(/^<|>$/g, '').toLowerCase();
  return { text: t, field: f };
}

/** Messages received in the last TRACE_DAYS days matching the search, newest first. */
export async function searchTrace(store: Store, search: TraceSearch, now = Date.now()): Promise<TraceSummary[]> {
  return store.trace.search({ ...search, since: now - TRACE_DAYS * 86_400_000, limit: LIMIT });
}

export type TraceEventKind = 'arrived' | 'waiting' | 'routed' | 'delivered' | 'held' | 'suppressed' | 'released' | 'expired' | 'relayed' | 'fetched';

/** One line of the timeline. `ref` is another message of the trace (the copy this one duplicates). */
export interface TraceEvent {
  at: number;
  kind: TraceEventKind;
  text: string;
  ref?: number;
}

export interface MessageTrace extends TraceIngest {
  events: TraceEvent[];
}

/** The timeline of one message, or undefined when there is no such ingest. */
export async function traceMessage(store: Store, ingestId: number): Promise<MessageTrace | undefined> {
  const ingest = await store.trace.ingest(ingestId);
  if (!ingest) return undefined;
  const [arrival, copies, outbound] = await Promise.all([store.trace.arrival(ingestId), store.provenance.ofIngest(ingestId), store.trace.outbound(ingestId)]);
  const events: TraceEvent[] = [{ at: ingest.receivedAt, kind: 'arrived', text: arrivedText(ingest.source, arrival.journal) }];
  if (arrival.spoolState === 'pending') {
    const why = arrival.lastError ? `; last error: ${arrival.lastError}` : '';
    events.push({ at: ingest.receivedAt, kind: 'waiting', text: `waiting in the spool for delivery (${arrival.attempts} attempts so far${why})` });
  }
  for (const c of copies) events.push({ at: c.at, kind: 'routed', text: `routed to ${c.user} (${c.via})` });
  for (const o of outbound) events.push({ at: o.createdAt, kind: 'routed', text: `routed to ${o.recipient} (outside the local domains: relayed)` });
  for (const c of copies) {
    events.push(await copyEvent(store, c));
    for (const e of c.events) events.push({ at: e.at, kind: e.kind, text: `${e.kind === 'released' ? "released to the INBOX" : 'removed from "Possible duplicates" (holding period over)'} for ${c.user} by ${e.actor}` });
  }
  for (const o of outbound) {
    const tries = `${o.attempts} attempt${o.attempts === 1 ? '' : 's'}`;
    const state = o.state === 'sent' ? 'sent: the smarthost accepted it' : o.state === 'failed' ? 'failed: bounced to the sender' : `queued, next attempt ${iso(o.nextAttemptAt)}`;
    events.push({ at: o.lastAttemptAt ?? o.createdAt, kind: 'relayed', text: `relayed to ${o.recipient}: ${state} (${tries}${o.lastError ? `; last error: ${o.lastError}` : ''})` });
  }
  const fetchedBy = copies.filter((c) => c.outcome !== 'suppressed').map((c) => c.user);
  for (const f of await store.trace.fetches(copies[0]?.blob ?? '', [...new Set(fetchedBy)])) {
    events.push({ at: f.at, kind: 'fetched', text: `first fetched by ${f.user}'s mail client (${f.protocol === 'pop3' ? 'POP3 RETR' : 'IMAP FETCH'} from ${f.client})` });
  }
  // Stable: events at the same instant keep the order they were told in (routed before delivered).
  events.sort((a, b) => a.at - b.at);
  return { ...ingest, events };
}

function arrivedText(s: Source, journal: { mailboxKey: string; remoteId: string } | null): string {
  const d = s.detail ?? {};
  // SMTP's MAIL FROM: where bounces go, and often not the From: header (lists, forwarders).
  const sender = s.envelopeFrom === undefined ? '' : `, envelope sender <${s.envelopeFrom}>`;
  switch (s.kind) {
    case 'collector': {
      const mailbox = journal?.mailboxKey ?? String(d.mailbox ?? '?');
      const id = journal?.remoteId ?? String(d.uid ?? '?');
      return `arrived from collector ${s.name}: ${mailbox}, ${d.protocol === 'imap' ? 'UIDVALIDITY:UID' : 'UIDL'} ${id}`;
    }
    case 'smtp':
      return `arrived by SMTP from ${s.name}${d.tls ? ' over TLS' : ''}${sender}`;
    case 'submission':
      return `submitted by ${String(d.user ?? 'an unknown user')} from ${s.name}${sender}`;
    case 'list':
      return `sent on by mailing list ${s.name}`;
    case 'cli':
      return `delivered by postroom deliver (${s.name})`;
    default:
      // IMAP APPEND: the user filed it themselves (source kind "imap", name "bob from 192.0.2.7").
      return `added by ${s.kind} (${s.name})`;
  }
}

async function copyEvent(store: Store, c: CopyStory): Promise<TraceEvent> {
  if (c.outcome === 'delivered') {
    const where = c.mailbox ? `${c.mailbox}, UID ${c.uid}` : 'INBOX (since removed from the mailbox)';
    return { at: c.at, kind: 'delivered', text: `delivered to ${c.user}: ${where}` };
  }
  const earlier = await store.provenance.earlierMatch(c);
  const of = earlier ? `; duplicate of message #${earlier.ingestId} ("${earlier.subject ?? '(no subject)'}", received ${iso(earlier.receivedAt)})` : '';
  const text = c.outcome === 'held' ? `held for ${c.user} in "Possible duplicates": ${c.reason}${of}` : `suppressed for ${c.user}: ${c.reason}${of}`;
  return { at: c.at, kind: c.outcome, text, ...(earlier ? { ref: earlier.ingestId } : {}) };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** The timeline as lines of text (the CLI). */
export function formatTrace(t: MessageTrace): string[] {
  return [
    `Message #${t.ingestId}: ${t.subject ?? '(no subject)'}`,
    `From: ${t.from ?? '(no sender)'}   Message-ID: ${t.messageId ?? '(none)'}`,
    ...t.events.map((e) => `${iso(e.at)}  ${e.kind.padEnd(10)} ${e.text}`),
  ];
}

/** One search result as a line of text (the CLI). */
export function formatSummary(s: TraceSummary): string {
  const outcome = Object.entries(s.outcomes).map(([k, n]) => `${n} ${k}`).join(', ') || 'no copies';
  return `#${s.ingestId}\t${iso(s.receivedAt)}\t${s.from ?? '(no sender)'} -> ${s.recipients.join(', ') || '(nobody)'}\t${s.subject ?? '(no subject)'}\t${outcome}`;
}
