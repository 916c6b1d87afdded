/**
 * What diagnosis looks at for one copy: its stored story (when it came through our pipeline) and
 * its header block. Pure helpers that read facts out of headers: our own Received line (which door,
 * which remote message), envelope headers, list headers, the mailer.
 */
import { createHash } from 'node:crypto';
import type { CollectorConfig } from '../config/schema.js';
import { addressesIn, type HeaderField, values } from '../pipeline/header-fields.js';
import type { DeliveryOutcome, Source } from '../store/interfaces.js';

/** One copy as diagnosis sees it. Stored copies have every field; a copy read from an .eml file only the header facts. */
export interface CopyEvidence {
  /** How the text names it: "copy #12", "file invoice-1.eml". */
  label: string;
  deliveryId?: number;
  /** The door and remote identity; for an .eml file, what our Received line in it says (if any). */
  source?: Source;
  at?: number;
  messageId: string | null;
  fingerprint: string;
  /**
   * sha256 of the header fields as they arrived (without the Received line we add) and of the
   * content fingerprint: equal for byte-identical copies, different when trace headers differ.
   */
  arrivedAs: string;
  outcome?: DeliveryOutcome;
  reason?: string;
  via?: string;
  mailbox?: string | null;
  uid?: number | null;
  /** The copy's header block as stored (our Received line first). */
  headers: HeaderField[];
}

/** What diagnosis knows of the configuration. */
export interface DiagnoseContext {
  /** Our hostname, as our Received lines name it. */
  hostname: string;
  collectors: CollectorConfig[];
  users: Array<{ name: string; addresses: string[] }>;
}

const OURS = /^from (.+?) \((cli|collector|smtp|submission|list)(?: ([^)]*))?\)\s+by (\S+) \(Postroom\) with ([\w/ -]+?) id/;

/** The door named by a Received line Postroom wrote, or undefined for anyone else's. */
export function parseOurReceived(value: string): { source: Source; by: string; with: string } | undefined {
  const m = OURS.exec(value.replace(/\s+/g, ' '));
  if (!m) return undefined;
  return { source: { kind: m[2] as Source['kind'], name: m[1]!, ...(m[3] ? { remoteId: m[3] } : {}) }, by: m[4]!, with: m[5]! };
}

/**
 * A Postroom that is not us collected this copy from an ISP mailbox before it reached us: a
 * collector Received line below our own, or naming another host.
 */
export function collectedByAnotherPostroom(e: CopyEvidence, ctx: DiagnoseContext): string | undefined {
  const received = values(e.headers, 'received');
  for (let i = 0; i < received.length; i++) {
    const r = parseOurReceived(received[i]!);
    if (!r || r.source.kind !== 'collector') continue;
    if (i > 0 || r.by.toLowerCase() !== ctx.hostname.toLowerCase()) return r.by;
  }
  return undefined;
}

export function mailboxOf(e: CopyEvidence): string | undefined {
  const d = e.source?.detail;
  if (d && typeof d.mailbox === 'string') return d.mailbox;
  // Older rows and .eml files: the remote id is "MAILBOXKEY REMOTEID".
  return e.source?.kind === 'collector' ? e.source.remoteId?.split(' ')[0] : undefined;
}

export function remoteIdOf(e: CopyEvidence): string | undefined {
  const d = e.source?.detail;
  if (d && typeof d.uid === 'string') return d.uid;
  return e.source?.remoteId?.split(' ').slice(1).join(' ') || undefined;
}

export function sessionOf(e: CopyEvidence): string | undefined {
  const s = e.source?.detail?.session;
  return typeof s === 'string' ? s : undefined;
}

export function collectorOf(e: CopyEvidence, ctx: DiagnoseContext): CollectorConfig | undefined {
  return e.source?.kind === 'collector' ? ctx.collectors.find((c) => c.name === e.source!.name) : undefined;
}

/** Mailing-list marks: a list expansion, a list in the routing, or RFC 2369/2919 headers. */
export function listMark(e: CopyEvidence): string | undefined {
  if (e.source?.kind === 'list') return `our list ${e.source.name}`;
  const via = / via list (\S+)/.exec(e.via ?? '');
  if (via) return `the list ${via[1]}`;
  const id = values(e.headers, 'list-id')[0];
  if (id) return `the mailing list ${id}`;
  if (values(e.headers, 'list-post').length > 0 || values(e.headers, 'mailing-list').length > 0) return 'a mailing list';
  return undefined;
}

/** Addresses in the envelope headers the ISP adds (Delivered-To, X-Original-To, ...). */
export function envelopeAddresses(e: CopyEvidence): string[] {
  return ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'].flatMap((h) => values(e.headers, h).flatMap(addressesIn));
}

/** The local user an ISP mailbox seems to belong to: its login is one of their addresses or their name. */
export function ownerOfMailbox(c: CollectorConfig, ctx: DiagnoseContext): string | undefined {
  const login = c.user.toLowerCase();
  const local = login.split('@')[0]!;
  return (
    ctx.users.find((u) => u.addresses.includes(login))?.name ??
    ctx.users.find((u) => u.name === local || u.addresses.some((a) => a.split('@')[0] === local))?.name
  );
}

export function mailerOf(e: CopyEvidence): string | undefined {
  return values(e.headers, 'x-mailer')[0] ?? values(e.headers, 'user-agent')[0];
}

/**
 * Whether two remote mailbox keys (protocol://user@host:port[/folder]) are probably one mailbox:
 * the same key, or the same login at hosts of one provider (pop.isp.example and imap.isp.example,
 * or port 110 and 995). The journal cannot see this (its key differs), only the ledger can.
 */
export function sameRemoteMailbox(a: string, b: string): boolean {
  if (a === b) return true;
  const parse = (k: string) => /^(\w+):\/\/(.+)@([^:@/]+):(\d+)(?:\/(.*))?$/.exec(k);
  const [pa, pb] = [parse(a), parse(b)];
  if (!pa || !pb) return false;
  const provider = (host: string) => host.split('.').slice(-2).join('.');
  const folder = (m: RegExpExecArray) => (m[5] ?? 'INBOX').toUpperCase();
  return pa[2] === pb[2] && provider(pa[3]!) === provider(pb[3]!) && folder(pa) === folder(pb);
}

/** The `arrivedAs` key of a copy: its header fields after our own Received line, and its fingerprint. */
export function arrivedAsKey(headers: HeaderField[], fingerprint: string): string {
  const own = headers.length > 0 && headers[0]!.key === 'received' && parseOurReceived(headers[0]!.value) ? headers.slice(1) : headers;
  const h = createHash('sha256');
  for (const f of own) h.update(`${f.key}:${f.value}\n`);
  return h.update(fingerprint).digest('hex');
}
