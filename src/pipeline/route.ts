/**
 * Who gets a message. Never drops: an address in a local domain that nobody owns goes to the
 * unknown-recipient target, and a message naming no local recipient at all goes there too.
 */
import type { ListConfig } from '../config/schema.js';
import type { AddressOwner } from '../store/interfaces.js';
import { addressesIn, type HeaderField, receivedFor, values } from './header-fields.js';

export type RoutingSpec = (
  /** Explicit envelope recipients (SMTP RCPT TO, `postroom deliver --to`). */
  | { mode: 'envelope'; recipients: string[] }
  /** Everything to one user or list (one ISP mailbox per person). */
  | { mode: 'user'; target: string }
  /** Recipients from envelope headers, then To/Cc/Resent-To restricted to local domains. */
  | { mode: 'headers'; envelopeHeaders: string[]; unknown?: string }
) & {
  /**
   * Dedupe against deliveries since this time (ms) even when the global window is off: a
   * collector session's own duplicates (`removeDuplicates`).
   */
  sessionSince?: number;
};

/** What routing needs to know about local names; implemented over the store. */
export interface Directory {
  domains: string[];
  unknownRecipient: string;
  ownerOf(address: string): Promise<AddressOwner | undefined>;
  userExists(name: string): Promise<boolean>;
  list(name: string): Promise<ListConfig | undefined>;
  /** Who gets mail when even the unknown-recipient target does not exist. */
  fallbackUser(): Promise<string>;
}

export interface RoutingDecision {
  /** Local user → how they were reached (for provenance). */
  recipients: Map<string, string>;
  /** Addresses outside our domains (list members, remote envelope recipients). */
  external: string[];
  /**
   * Mailing lists (`type: mailing`) reached: not expanded here, their members get a copy of
   * their own with the list headers (src/lists/mailing.ts, called by the pipeline).
   */
  lists: string[];
  /** A readable account of the decision. */
  notes: string[];
}

export async function route(spec: RoutingSpec, fields: HeaderField[], dir: Directory): Promise<RoutingDecision> {
  const d: RoutingDecision = { recipients: new Map(), external: [], lists: [], notes: [] };
  const unknownTarget = spec.mode === 'headers' && spec.unknown ? spec.unknown : dir.unknownRecipient;
  if (spec.mode === 'user') {
    d.notes.push(`routing: all mail to "${spec.target}"`);
    await addTarget(d, spec.target, `routing target ${spec.target}`, dir, new Set());
    return d;
  }
  let addresses: string[];
  if (spec.mode === 'envelope') {
    addresses = spec.recipients.map((a) => a.toLowerCase());
    d.notes.push(`envelope recipients: ${addresses.join(', ')}`);
  } else {
    addresses = fromHeaders(spec.envelopeHeaders, fields, dir.domains, d.notes);
  }
  for (const a of unique(addresses)) await addAddress(d, a, `address ${a}`, dir, new Set(), unknownTarget);
  if (d.recipients.size === 0 && d.external.length === 0 && d.lists.length === 0) {
    d.notes.push(`no recipient found: to unknownRecipient "${unknownTarget}"`);
    await addTarget(d, unknownTarget, 'no local recipient (unknownRecipient)', dir, new Set());
  }
  return d;
}

function fromHeaders(envelopeHeaders: string[], fields: HeaderField[], domains: string[], notes: string[]): string[] {
  for (const h of envelopeHeaders) {
    const found = values(fields, h).flatMap((v) => (h.toLowerCase() === 'received' ? receivedFor(v) : addressesIn(v)));
    const local = found.filter((a) => isLocal(a, domains));
    if (local.length > 0) {
      notes.push(`recipients from ${h}: ${local.join(', ')}`);
      return local;
    }
  }
  const found = ['to', 'cc', 'resent-to', 'resent-cc'].flatMap((h) => values(fields, h).flatMap(addressesIn));
  const local = found.filter((a) => isLocal(a, domains));
  notes.push(
    local.length > 0
      ? `no envelope header (${envelopeHeaders.join(', ')}); recipients from To/Cc: ${local.join(', ')}`
      : `no local address in envelope headers or To/Cc`,
  );
  return local;
}

export function isLocal(address: string, domains: string[]): boolean {
  const at = address.lastIndexOf('@');
  return at > 0 && domains.includes(address.slice(at + 1).toLowerCase());
}

async function addAddress(d: RoutingDecision, address: string, via: string, dir: Directory, seen: Set<string>, unknownTarget: string): Promise<void> {
  const owner = await dir.ownerOf(address);
  if (owner) return addOwner(d, owner, via, dir, seen);
  if (!isLocal(address, dir.domains)) {
    if (!d.external.includes(address)) d.external.push(address);
    return;
  }
  // A local address nobody claims: the part before @ may still name a user or list.
  const local = address.slice(0, address.lastIndexOf('@'));
  if (await dir.userExists(local)) return addOwner(d, { kind: 'user', name: local }, via, dir, seen);
  if (await dir.list(local)) return addOwner(d, { kind: 'list', name: local }, via, dir, seen);
  d.notes.push(`${address}: unknown local address, to unknownRecipient "${unknownTarget}"`);
  await addTarget(d, unknownTarget, `${via} (unknown, via unknownRecipient)`, dir, seen);
}

/** A configured name (routing target, unknownRecipient): a user or a list. */
async function addTarget(d: RoutingDecision, name: string, via: string, dir: Directory, seen: Set<string>): Promise<void> {
  if (await dir.userExists(name)) return addOwner(d, { kind: 'user', name }, via, dir, seen);
  if (await dir.list(name)) return addOwner(d, { kind: 'list', name }, via, dir, seen);
  const fallback = await dir.fallbackUser();
  d.notes.push(`"${name}" is neither a user nor a list: kept for "${fallback}" instead`);
  d.recipients.set(fallback, d.recipients.get(fallback) ?? `${via} (missing target ${name})`);
}

async function addOwner(d: RoutingDecision, owner: AddressOwner, via: string, dir: Directory, seen: Set<string>): Promise<void> {
  if (owner.kind === 'user') {
    // First way found wins: one copy per user however many ways reach them.
    if (!d.recipients.has(owner.name)) d.recipients.set(owner.name, via);
    return;
  }
  if (seen.has(owner.name)) return; // a list that contains itself, directly or not
  seen.add(owner.name);
  const list = await dir.list(owner.name);
  if (!list) return;
  if (list.type === 'mailing') {
    d.lists.push(list.name);
    d.notes.push(`${via}: mailing list ${list.name}, its members get the list's own copy`);
    return;
  }
  for (const m of list.members) {
    const memberVia = `${via} via list ${list.name}`;
    if (m.includes('@')) await addAddress(d, m.toLowerCase(), memberVia, dir, seen, dir.unknownRecipient);
    else await addTarget(d, m, memberVia, dir, seen);
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
