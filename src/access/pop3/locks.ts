/**
 * One TRANSACTION session per maildrop (RFC 1939 section 8: the server acquires an exclusive lock).
 *
 * In-process is enough: only one Postroom process serves a data directory at a time (the instance
 * lock, src/server/instance-lock.ts), and CLI commands never take a maildrop. IMAP sessions do not
 * take this lock: POP3 works on its snapshot and expunge skips what is already gone.
 */
export class MaildropLocks {
  private readonly held = new Set<string>();

  /** Takes the lock of `user`, or returns null when another session holds it. */
  acquire(user: string): { release(): void } | null {
    if (this.held.has(user)) return null;
    this.held.add(user);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(user);
      },
    };
  }

  isLocked(user: string): boolean {
    return this.held.has(user);
  }
}
