/**
 * The header block of a stored message. A spool entry records where its header is (the scanner
 * found it when the message was stored): `readSpooledHeader`. Readers that have only the blob id (a
 * bounce quoting the message's header, `postroom diagnose`) find the blank line by the scanner's
 * own rule (scan.ts), so a message with bare LF line ends gives its header too, not its first
 * `limit` bytes: `readStoredHeader`.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import type { SpoolEntry } from '../store/interfaces.js';
import { findHeaderEnd } from './scan.js';

/** A spool entry's header block, from the place recorded with it (empty, without a read, when it has none). */
export async function readSpooledHeader(blobs: BlobStore, entry: Pick<SpoolEntry, 'blob' | 'headerOffset' | 'headerLength'>): Promise<Buffer> {
  return entry.headerLength === 0 ? Buffer.alloc(0) : blobs.readBytes(entry.blob, entry.headerOffset, entry.headerLength);
}

/** Up to `limit` bytes of the header, each line with its line end, without the blank line. */
export async function readStoredHeader(blobs: BlobStore, blob: string, limit: number): Promise<Buffer> {
  const head = await blobs.readBytes(blob, 0, limit);
  const end = findHeaderEnd(head, 0);
  return end ? head.subarray(0, end.headerEnd) : head;
}
