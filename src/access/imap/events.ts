/**
 * In-process change notices between sessions: a session that changes a mailbox (flags, expunge,
 * copy into it, append) announces it, and every other session with that mailbox selected looks at
 * the store at its next allowed moment (or at once while IDLE). Deliveries by the pipeline, which
 * may run in another process, are found by IDLE's polling of the store's cheap stamp instead.
 */
export class MailboxEvents {
  private readonly listeners = new Map<number, Set<() => void>>();

  /** Calls `listener` after each change to the mailbox; returns the unsubscribe function. */
  watch(mailboxId: number, listener: () => void): () => void {
    let set = this.listeners.get(mailboxId);
    if (!set) this.listeners.set(mailboxId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(mailboxId);
    };
  }

  changed(mailboxId: number, except?: () => void): void {
    for (const l of this.listeners.get(mailboxId) ?? []) if (l !== except) l();
  }
}
