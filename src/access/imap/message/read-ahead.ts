/**
 * Reads the files of the next messages of a FETCH while the current one is being sent: small blobs
 * (the usual case) are read whole, several at once, so a client walking a mailbox is not paced by
 * one open/read/close after another. Large blobs are left to streaming.
 */
import { readFile } from 'node:fs/promises';

const WINDOW = 16;
export const READ_AHEAD_MAX = 512 * 1024;

export class ReadAhead {
  private readonly started = new Map<number, Promise<Buffer | null>>();

  constructor(
    private readonly pathOf: (blob: string) => string,
    private readonly items: ReadonlyArray<{ blob: string; size: number }>,
  ) {}

  /** The bytes of item `i` when it is small (null otherwise, or when the read failed). */
  get(i: number): Promise<Buffer | null> {
    for (let j = i; j < Math.min(this.items.length, i + WINDOW); j++) this.start(j);
    const p = this.started.get(i) ?? Promise.resolve(null);
    this.started.delete(i);
    return p;
  }

  private start(j: number): void {
    if (this.started.has(j)) return;
    const item = this.items[j]!;
    if (item.size > READ_AHEAD_MAX) return void this.started.set(j, Promise.resolve(null));
    // A failed read falls back to streaming, which reports the error where it belongs.
    this.started.set(j, readFile(this.pathOf(item.blob)).then(
      (b) => (b.length === item.size ? b : null),
      () => null,
    ));
  }
}
