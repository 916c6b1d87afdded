/**
 * Remembers which messages a session's client downloaded (POP3 RETR, IMAP FETCH of a body) and
 * writes them to the store in one batch: when the session ends, or a minute after the first one
 * still unwritten (IMAP clients stay connected for hours). A download itself never waits for a
 * write: noting one is a Set insert. The store keeps the first time per user and message.
 */
import type { Logger } from 'pino';
import type { ClientFetch, MessageTraceStore } from '../../store/interfaces.js';

const FLUSH_AFTER_MS = 60_000;

export class FirstFetches {
  private pending = new Map<string, ClientFetch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<MessageTraceStore, 'recordFetches'> | undefined,
    private readonly protocol: ClientFetch['protocol'],
    private readonly client: string,
    private readonly log: Logger,
  ) {}

  /** Notes that `user`'s client downloaded the message stored as `blob`. */
  note(user: string, blob: string): void {
    if (!this.store) return;
    const key = `${user}\0${blob}`;
    if (this.pending.has(key)) return;
    this.pending.set(key, { user, blob, protocol: this.protocol, client: this.client, at: Date.now() });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS).unref();
  }

  /** Writes what is pending; a failure is logged, never thrown (it must not end a session). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.store || this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.store.recordFetches(batch);
    } catch (err) {
      this.log.warn({ err, count: batch.length }, 'could not record first fetches for the message trace');
    }
  }
}
