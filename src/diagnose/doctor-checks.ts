/**
 * `postroom doctor`: the configuration checks, as pure functions over a snapshot of the
 * configuration and recent collector ingests. Each finding says what is wrong and how to fix it.
 */
import { remoteMailboxKey } from '../config/schema.js';
import type { ConfigState, Source } from '../store/interfaces.js';
import { ownerOfMailbox, sameRemoteMailbox } from './evidence.js';

/** One result of one check. `error` makes doctor exit non-zero. */
export interface DoctorFinding {
  check: string;
  severity: 'ok' | 'warning' | 'error';
  message: string;
  /** What to change; empty for 'ok'. */
  fix: string;
}

/** A recent collector ingest: who collected it and the routing notes the pipeline stored. */
export interface RecentIngest {
  source: Source;
  routing: unknown;
}

const ok = (check: string, message: string): DoctorFinding => ({ check, severity: 'ok', message, fix: '' });

export function configChecks(state: ConfigState, recent: RecentIngest[]): DoctorFinding[] {
  return [...twoCollectorsOneMailbox(state), ...personalMailboxByHeaders(state), ...envelopeHeadersSeen(state, recent), unknownRecipient(state)];
}

function twoCollectorsOneMailbox(state: ConfigState): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const cs = state.collectors.filter((c) => c.enabled);
  for (let i = 0; i < cs.length; i++) {
    for (let j = i + 1; j < cs.length; j++) {
      const [a, b] = [remoteMailboxKey(cs[i]!), remoteMailboxKey(cs[j]!)];
      if (!sameRemoteMailbox(a, b)) continue;
      out.push({
        check: 'collectors',
        severity: 'error',
        message: `collectors "${cs[i]!.name}" (${a}) and "${cs[j]!.name}" (${b}) download the same ISP mailbox: every message arrives twice (the second copy is suppressed, at the cost of a second download)`,
        fix: `remove one of them from the configuration and run "postroom config apply"`,
      });
    }
  }
  return out.length > 0 ? out : [ok('collectors', `no two collectors share an ISP mailbox (${cs.length} enabled)`)];
}

function personalMailboxByHeaders(state: ConfigState): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const users = state.users.map((u) => ({ name: u.name, addresses: u.addresses }));
  for (const c of state.collectors) {
    if (!c.enabled || c.routing.mode !== 'headers') continue;
    const owner = users.find((u) => u.addresses.includes(c.user.toLowerCase()))?.name;
    if (!owner) continue;
    out.push({
      check: 'routing',
      severity: 'warning',
      message: `collector "${c.name}" downloads ${c.user}, the mailbox of ${owner}, but routes by the headers: mail sent to ${owner} and colleagues reaches each of them once from every personal mailbox (the seed's first cause)`,
      fix: `set routing: { mode: user, target: ${owner} } on collector "${c.name}"`,
    });
  }
  return out.length > 0 ? out : [ok('routing', 'no personal ISP mailbox is routed by headers')];
}

/** Header routing works for Bcc only with an envelope header; the stored routing notes say whether one was found. */
function envelopeHeadersSeen(state: ConfigState, recent: RecentIngest[]): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  for (const c of state.collectors) {
    if (!c.enabled || c.routing.mode !== 'headers') continue;
    const mine = recent.filter((r) => r.source.kind === 'collector' && r.source.name === c.name);
    if (mine.length < 3) continue; // too little mail to judge
    const withEnvelope = mine.filter((r) => notesOf(r.routing).some((n) => n.startsWith('recipients from ')));
    if (withEnvelope.length > 0) continue;
    out.push({
      check: 'envelope-headers',
      severity: 'warning',
      message: `collector "${c.name}" routes by headers, but none of its last ${mine.length} messages had an envelope header (${c.routing.envelopeHeaders.join(', ')}): recipients come from To/Cc, so Bcc'd mail goes to unknownRecipient and mail to several people is routed from every copy`,
      fix: `ask the ISP which header names the envelope recipient and list it in routing.envelopeHeaders, or, if the mailbox belongs to one person, set routing: { mode: user, target: NAME }`,
    });
  }
  return out.length > 0 ? out : [ok('envelope-headers', 'header-routed collectors see envelope headers (or have too little recent mail to judge)')];
}

function notesOf(routing: unknown): string[] {
  const notes = (routing as { notes?: unknown } | null)?.notes;
  return Array.isArray(notes) ? notes.filter((n): n is string => typeof n === 'string') : [];
}

function unknownRecipient(state: ConfigState): DoctorFinding {
  const name = state.settings.unknownRecipient;
  if (state.users.some((u) => u.name === name) || state.lists.some((l) => l.name === name)) return ok('unknown-recipient', `mail for unknown local addresses goes to "${name}"`);
  const admin = state.users.find((u) => u.admin)?.name ?? 'the first admin';
  return {
    check: 'unknown-recipient',
    severity: 'error',
    message: `unknownRecipient is "${name}", but there is no user or list of that name: mail for unknown addresses falls back to ${admin}`,
    fix: `add a user or list "${name}", or set unknownRecipient to an existing user or list`,
  };
}
