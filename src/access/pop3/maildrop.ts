/**
 * A user's maildrop for the length of one TRANSACTION session: the snapshot taken at login, with
 * RFC 1939 message numbers (1..n, fixed for the session), deletion marks, and the sizes LIST shows.
 *
 * UIDL: `<UIDVALIDITY>.<UID>` of the message in the user's INBOX. Both numbers are fixed for the
 * life of the message in that folder and UIDVALIDITY is never reused (store/sqlite/mailboxes.ts),
 * so a client that leaves mail on the server never sees a UIDL change or come back for another
 * message. (A message moved out of INBOX by IMAP and back gets a new UID, hence a new UIDL: it is a
 * new arrival as far as POP3 can tell.)
 */
import type { BlobStore } from '../../blobs/blob-store.js';
import type { MaildropSnapshot } from '../../store/interfaces.js';
import { closeQuietly, openForRead, readAt } from './files.js';
import { servedSize } from './wire.js';

export interface MaildropEntry {
  id: number;
  uidl: string;
  blob: string;
  storedSize: number;
  /** Octets the client receives, as LIST announces. */
  size: number;
  deleted: boolean;
}

export class Maildrop {
  private constructor(
    readonly mailboxId: number,
    readonly entries: MaildropEntry[],
  ) {}

  /** Builds the session view; reads the last byte of each message it has not seen before. */
  static async load(snapshot: MaildropSnapshot, tails: TailCache): Promise<Maildrop> {
    const entries: MaildropEntry[] = new Array(snapshot.messages.length);
    let next = 0;
    const worker = async () => {
      while (next < snapshot.messages.length) {
        const i = next++;
        const m = snapshot.messages[i]!;
        const endsWithLf = await tails.endsWithLf(m.blob, m.size);
        entries[i] = {
          id: m.id,
          uidl: `${snapshot.uidValidity}.${m.uid}`,
          blob: m.blob,
          storedSize: m.size,
          size: servedSize(m.wireSize, m.size, endsWithLf),
          deleted: false,
        };
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return new Maildrop(snapshot.mailboxId, entries);
  }

  /** The message with this 1-based number, unless there is none or it is marked deleted. */
  get(msg: number): MaildropEntry | undefined {
    const e = this.entries[msg - 1];
    return e && !e.deleted ? e : undefined;
  }

  /** Messages not marked deleted, with their numbers. */
  *live(): Generator<[number, MaildropEntry]> {
    for (let i = 0; i < this.entries.length; i++) if (!this.entries[i]!.deleted) yield [i + 1, this.entries[i]!];
  }

  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const [, e] of this.live()) {
      count++;
      octets += e.size;
    }
    return { count, octets };
  }

  markedIds(): number[] {
    return this.entries.filter((e) => e.deleted).map((e) => e.id);
  }

  /** RSET. */
  unmarkAll(): void {
    for (const e of this.entries) e.deleted = false;
  }
}

/**
 * Whether a blob's last byte is LF, remembered per blob: blobs are named by their content, so the
 * answer never changes. Kept in memory: the first session after a restart pays one 1-byte read per
 * message, later ones nothing.
 */
export class TailCache {
  private readonly known = new Map<string, boolean>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly limit = 200_000,
  ) {}

  async endsWithLf(blob: string, size: number): Promise<boolean> {
    if (size === 0) return true;
    const hit = this.known.get(blob);
    if (hit !== undefined) return hit;
    const at = this.blobs.locate(blob);
    const fd = await openForRead(at.path);
    try {
      const byte = Buffer.alloc(1);
      await readAt(fd, byte, at.offset + size - 1);
      const answer = byte[0] === 10;
      if (this.known.size >= this.limit) this.known.clear();
      this.known.set(blob, answer);
      return answer;
    } finally {
      closeQuietly(fd);
    }
  }
}
