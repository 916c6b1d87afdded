/**
 * The header block at the start of a stored message (our Received line first), for readers that
 * have only the blob id: a bounce quoting the message's header, `postroom diagnose`. The blank
 * line is found by the rule the scanner used when the message was stored (scan.ts), so a message
 * with bare LF line ends gives its header too, not its first `limit` bytes.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import { findHeaderEnd } from './scan.js';

/** Up to `limit` bytes of the header, each line with its line end, without the blank line. */
export async function readStoredHeader(blobs: BlobStore, blob: string, limit: number): Promise<Buffer> {
  const head = await blobs.readBytes(blob, 0, limit);
  const end = findHeaderEnd(head, 0);
  return end ? head.subarray(0, end.headerEnd) : head;
}
