/**
 * APPEND's message literal, streamed to the blob store as it arrives (never held in memory) and
 * scanned on the way like the pipeline scans (wire size, header block, body hash), so the stored
 * row has the same facts as a delivered one.
 */
import type { BlobStore, BlobWriter } from '../../blobs/blob-store.js';
import { MessageScanner } from '../../pipeline/scan.js';
import type { LiteralSink } from './connection.js';
import type { StreamedLiteral } from './parser/cursor.js';

export class AppendedMessage implements StreamedLiteral, LiteralSink {
  readonly kind = 'streamed';
  private readonly scanner = new MessageScanner();
  private scanned: ReturnType<MessageScanner['finish']> | null = null;
  private committed: Promise<string> | null = null;
  private aborted = false;

  private constructor(private readonly writer: BlobWriter) {}

  static async open(blobs: Pick<BlobStore, 'create'>): Promise<AppendedMessage> {
    return new AppendedMessage(await blobs.create());
  }

  async write(chunk: Buffer): Promise<void> {
    this.scanner.update(chunk);
    await this.writer.write(chunk);
  }

  end(): void {
    this.scanned = this.scanner.finish();
  }

  /** What the scanner learned: header block (for Message-ID, Subject...), body hash, sizes. */
  get scan(): ReturnType<MessageScanner['finish']> {
    if (!this.scanned) throw new Error('literal not complete');
    return this.scanned;
  }

  get size(): number {
    return this.scan.size;
  }

  get wireSize(): number {
    return this.scan.wireSize;
  }

  commit(): Promise<string> {
    if (this.aborted) return Promise.reject(new Error('appended message was dropped'));
    this.committed ??= this.writer.commit();
    return this.committed;
  }

  async abort(): Promise<void> {
    if (this.committed) return;
    this.aborted = true;
    await this.writer.abort();
  }
}

/**
 * Whether the literal announced at the end of `prefix` is APPEND's message (streamed) rather than
 * its mailbox name (a literal that is the first argument).
 */
export function isAppendMessageLiteral(prefix: Buffer): boolean {
  const text = prefix.toString('latin1');
  const m = /^[^ ]+ APPEND (.*)\{\d+\+?\}$/is.exec(text);
  return m !== null && m[1]!.length > 0;
}
