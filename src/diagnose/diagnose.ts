/**
 * The diagnosis of a set of copies of one message for one user: each later copy is paired with the
 * earliest earlier copy it matches (same Message-ID or same content, as the ledger matches) and
 * classified. Pure; the text and the JSON say the same thing.
 */
import { CAUSES, type Cause, classify, type Finding } from './classify.js';
import type { CopyEvidence, DiagnoseContext } from './evidence.js';

/** The answer to "why did this user get (or not get) two copies?". */
export interface Diagnosis {
  user: string;
  /** What was asked about: "Message-ID <x>", "UIDs 4 and 9 in INBOX", "files a.eml and b.eml". */
  subject: string;
  copies: Array<{ label: string; outcome: string; where: string; source: string; messageId: string | null; at: string | null; reason: string | null }>;
  /** One per copy after the first; empty when there is only one copy. */
  findings: Finding[];
  /** One line: the answer. */
  summary: string;
}

export function diagnoseCopies(user: string, subject: string, copies: CopyEvidence[], ctx: DiagnoseContext): Diagnosis {
  const findings: Finding[] = [];
  for (let i = 1; i < copies.length; i++) {
    const later = copies[i]!;
    const earlier = copies.slice(0, i).find((e) => e.fingerprint === later.fingerprint || (e.messageId !== null && e.messageId === later.messageId)) ?? copies[0]!;
    findings.push(classify(earlier, later, ctx));
  }
  return {
    user,
    subject,
    copies: copies.map((c) => ({
      label: c.label,
      outcome: c.outcome ?? 'unknown',
      where: c.mailbox ? `${c.mailbox} UID ${c.uid}` : c.outcome ? 'in no folder' : 'file',
      source: c.source ? `${c.source.kind} ${c.source.name}${c.source.remoteId ? ` [${c.source.remoteId}]` : ''}` : 'unknown',
      messageId: c.messageId,
      at: c.at ? new Date(c.at).toISOString() : null,
      reason: c.reason ?? null,
    })),
    findings,
    summary: summarize(copies, findings),
  };
}

function summarize(copies: CopyEvidence[], findings: Finding[]): string {
  if (copies.length === 0) return 'No copy found.';
  if (findings.length === 0) return `One copy only (${copies[0]!.outcome ?? 'unknown'}): nothing was duplicated.`;
  const causes = [...new Set(findings.map((f) => f.cause))];
  const delivered = copies.filter((c) => c.outcome === 'delivered').length;
  const counts = (['delivered', 'held', 'suppressed'] as const).map((o) => [o, copies.filter((c) => c.outcome === o).length] as const).filter(([, n]) => n > 0);
  const tally = counts.length > 0 ? ` (${counts.map(([o, n]) => `${n} ${o}`).join(', ')})` : '';
  return `${copies.length} copies${tally}${delivered > 1 ? `, ${delivered} of them in the user's folders` : ''}: ${causes.map((c) => CAUSES[c]).join('; ')}.`;
}

/** The diagnosis as text for a terminal. */
export function formatDiagnosis(d: Diagnosis): string[] {
  const out = [`${d.user}, ${d.subject}: ${d.summary}`, ''];
  for (const c of d.copies) {
    out.push(`  ${c.label}: ${c.outcome}${c.where !== 'file' ? `, ${c.where}` : ''}, from ${c.source}${c.at ? `, ${c.at}` : ''}`);
    if (c.reason) out.push(`      ${c.reason}`);
  }
  for (const f of d.findings) {
    out.push('', `Cause: ${f.title} (${f.cause})`, `  ${f.why}`, `  What to do: ${f.fix}`, '  Facts:');
    for (const fact of f.facts) out.push(`    - ${fact}`);
  }
  return out;
}

/** `diagnose --report`: suppressed and held copies per cause. */
export interface DuplicateReport {
  since: string;
  /** cause → counts; causes with no copies are left out. */
  causes: Array<{ cause: Cause; title: string; suppressed: number; held: number }>;
  total: { suppressed: number; held: number };
}

export function buildReport(since: number, findings: Finding[]): DuplicateReport {
  const by = new Map<Cause, { suppressed: number; held: number }>();
  for (const f of findings) {
    if (f.outcome !== 'suppressed' && f.outcome !== 'held') continue;
    const row = by.get(f.cause) ?? { suppressed: 0, held: 0 };
    row[f.outcome]++;
    by.set(f.cause, row);
  }
  const causes = [...by].map(([cause, n]) => ({ cause, title: CAUSES[cause], ...n })).sort((a, b) => b.suppressed + b.held - (a.suppressed + a.held));
  return {
    since: new Date(since).toISOString(),
    causes,
    total: { suppressed: causes.reduce((s, c) => s + c.suppressed, 0), held: causes.reduce((s, c) => s + c.held, 0) },
  };
}

export function formatReport(r: DuplicateReport): string[] {
  if (r.causes.length === 0) return [`No copies suppressed or held since ${r.since.slice(0, 10)}.`];
  const out = [`Since ${r.since.slice(0, 10)}: ${r.total.suppressed} suppressed, ${r.total.held} held.`, '', '  suppressed  held  cause'];
  for (const c of r.causes) out.push(`  ${String(c.suppressed).padStart(10)}  ${String(c.held).padStart(4)}  ${c.title} (${c.cause})`);
  return out;
}
