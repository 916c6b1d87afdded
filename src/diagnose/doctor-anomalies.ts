/**
 * `postroom doctor`: what collector sessions noticed about their ISP mailboxes (see
 * src/collect/anomalies.ts), summed per mailbox and kind over the period doctor looks at.
 */
import type { MailboxAnomaly } from '../store/interfaces.js';
import type { DoctorFinding } from './doctor-checks.js';

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

export function anomalyFindings(anomalies: MailboxAnomaly[], days: number): DoctorFinding[] {
  const groups = new Map<string, MailboxAnomaly[]>();
  for (const a of anomalies) {
    const key = `${a.kind} ${a.mailboxKey}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const out: DoctorFinding[] = [];
  for (const list of groups.values()) {
    const last = list[list.length - 1]!;
    const count = list.reduce((n, a) => n + a.count, 0);
    const collectors = [...new Set(list.map((a) => `"${a.collector}"`))].join(', ');
    const when = `in ${list.length} session${list.length === 1 ? '' : 's'} between ${day(list[0]!.at)} and ${day(last.at)}`;
    const examples = [...new Set(list.flatMap((a) => a.examples))].slice(0, 3).join(', ');
    if (last.kind === 'overlap') {
      out.push({
        check: 'mailbox-overlap',
        severity: 'warning',
        message: `collector ${collectors}: ${count} message${count === 1 ? '' : 's'} vanished from ${last.mailboxKey} without our DELE ${when} (e.g. UIDL ${examples}): another program downloads from this mailbox, and mail it takes first never reaches Postroom`,
        fix: 'another program downloads from this mailbox and deletes: set it to leave mail on the server, or remove it',
      });
    } else {
      out.push({
        check: 'uidl-anomaly',
        severity: 'warning',
        message: `collector ${collectors}: the server of ${last.mailboxKey} renumbered its UIDLs ${when}: ${count} message${count === 1 ? '' : 's'} already downloaded came back under new UIDLs (${examples}); none reached an INBOX again (recognised by size and Message-ID, or caught by the duplicate ledger: suppressed, or held in "Possible duplicates" when they have no Message-ID), and those sessions deleted nothing`,
        fix: 'nothing to do if it happened once (the new UIDLs are now known and deletion resumes); if it repeats, ask the ISP why its UIDLs change, or collect this mailbox over IMAP',
      });
    }
  }
  return out.length > 0 ? out : [{ check: 'remote-mailboxes', severity: 'ok', message: `no collector saw mail vanish or UIDLs renumbered in the last ${days} days`, fix: '' }];
}
