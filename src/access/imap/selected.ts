/**
 * A selected mailbox as one session sees it: message sequence numbers (position in `uids`), the
 * flags last reported, and how to catch up with the store.
 *
 * RFC 3501 section 5.2 and 7.4.1: the session's numbering changes only when the client is told
 * (EXISTS, EXPUNGE). Removals by others are held back while a FETCH, STORE or SEARCH runs (the
 * client could not match numbers otherwise) and reported at the next command that allows them.
 */
import type { ImapMailbox, ImapMailboxStore } from '../../store/interfaces.js';
import type { MailboxEvents } from './events.js';
import { inSequenceSet } from './parser/sequence.js';
import type { SequenceSet } from './parser/types.js';
import { list } from './wire.js';

export class SelectedMailbox {
  /** UIDs in sequence order: message n is uids[n - 1]. */
  uids: number[] = [];
  readonly flags = new Map<number, string[]>();
  uidNext = 1;
  /** Set by other sessions' notices; cleared by a sync. */
  private dirty = false;
  private stamp = '';
  private unwatch: () => void;
  private wake: (() => void) | null = null;

  constructor(
    readonly mailbox: ImapMailbox,
    readonly readOnly: boolean,
    private readonly store: ImapMailboxStore,
    private readonly events: MailboxEvents,
  ) {
    this.unwatch = events.watch(mailbox.id, this.onNotice);
  }

  private readonly onNotice = (): void => {
    this.dirty = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  };

  /** Loads the message list; called once on SELECT. */
  async load(): Promise<void> {
    this.stamp = await this.store.stamp(this.mailbox.id);
    const { uidNext, entries } = await this.store.index(this.mailbox.id);
    this.uidNext = uidNext;
    this.uids = entries.map((e) => e.uid);
    for (const e of entries) this.flags.set(e.uid, e.flags);
  }

  close(): void {
    this.unwatch();
    this.onNotice();
  }

  /** Tells other sessions on this mailbox that it changed. */
  announce(): void {
    this.events.changed(this.mailbox.id, this.onNotice);
  }

  get exists(): number {
    return this.uids.length;
  }

  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** The messages a set names, in sequence order. With `uid`, numbers are UIDs (RFC 3501 6.4.8). */
  resolve(set: SequenceSet, uid: boolean): Array<{ seq: number; uid: number }> {
    const out: Array<{ seq: number; uid: number }> = [];
    if (uid) {
      const max = this.uids.length ? this.uids[this.uids.length - 1]! : 0;
      this.uids.forEach((u, i) => {
        if (inSequenceSet(set, u, max)) out.push({ seq: i + 1, uid: u });
      });
    } else {
      this.uids.forEach((u, i) => {
        if (inSequenceSet(set, i + 1, this.uids.length)) out.push({ seq: i + 1, uid: u });
      });
    }
    return out;
  }

  /** Whether a plain sequence set names numbers beyond the mailbox (a BAD per RFC 3501 6.4.5). */
  outOfRange(set: SequenceSet): boolean {
    return set.some((r) => (r.start !== '*' && r.start > this.uids.length) || (r.end !== '*' && r.end > this.uids.length));
  }

  /**
   * Catches up with the store and returns the untagged responses that say so: EXPUNGE (only when
   * `allowExpunge`), EXISTS for new messages, FETCH FLAGS for flags others changed.
   */
  async sync(allowExpunge: boolean): Promise<string[]> {
    const stamp = await this.store.stamp(this.mailbox.id);
    if (!this.dirty && stamp === this.stamp) return [];
    this.dirty = false;
    const { uidNext, entries } = await this.store.index(this.mailbox.id);
    const out: string[] = [];
    const present = new Map(entries.map((e) => [e.uid, e.flags]));
    const gone = this.uids.filter((u) => !present.has(u));
    if (gone.length && allowExpunge) {
      // Highest first: each number is then right at the moment the client reads it.
      for (let i = this.uids.length - 1; i >= 0; i--) {
        const u = this.uids[i]!;
        if (present.has(u)) continue;
        out.push(`* ${i + 1} EXPUNGE\r\n`);
        this.flags.delete(u);
      }
      this.uids = this.uids.filter((u) => present.has(u));
    }
    if (gone.length && !allowExpunge) this.dirty = true;
    const last = this.uids.length ? this.uids[this.uids.length - 1]! : 0;
    const added = entries.filter((e) => e.uid > last);
    for (const e of entries) {
      const known = this.flags.get(e.uid);
      if (known && !sameFlags(known, e.flags)) {
        this.flags.set(e.uid, e.flags);
        out.push(`* ${this.seqOf(e.uid)} FETCH (FLAGS ${list(e.flags)})\r\n`);
      }
    }
    if (added.length) {
      for (const e of added) {
        this.uids.push(e.uid);
        this.flags.set(e.uid, e.flags);
      }
      out.push(`* ${this.uids.length} EXISTS\r\n`);
    }
    this.uidNext = Math.max(this.uidNext, uidNext);
    // Keep the stamp stale while removals are held back, so the next allowed moment looks again.
    this.stamp = gone.length && !allowExpunge ? '' : stamp;
    return out;
  }

  /** Resolves at the next notice from another session, or after `ms`. */
  async waitForNotice(ms: number): Promise<void> {
    if (this.dirty) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}
