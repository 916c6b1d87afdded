/**
 * Delivering test mail the way a collector does: several messages received, made durable and
 * delivered together, so that the small ones share one batch file (src/blobs/blob-store.ts) and are
 * served from an offset inside it. Tests of the POP3 and IMAP servers with real clients use it, so
 * that every read path meets messages that do not start at the start of their file.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { Pipeline } from '../../src/pipeline/pipeline.js';

/** Delivers `contents` to `to` as one batch; returns their blob ids (the small ones are in one batch file). */
export async function deliverBatch(pipeline: Pipeline, to: string, contents: Buffer[]): Promise<string[]> {
  const received = [];
  for (const content of contents) {
    received.push(await pipeline.receive({ source: { kind: 'cli', name: 'test batch' }, routing: { mode: 'envelope', recipients: [to] }, content: Readable.from([content]) }));
  }
  const ids = await pipeline.acceptMany(received);
  const results = await pipeline.processMany(
    ids.map((id) => id!),
    received,
  );
  for (const r of results) {
    if (r instanceof Error) throw r;
    assert.equal(r.results[0]?.outcome, 'delivered', JSON.stringify(r.results));
  }
  const blobs = received.map((r) => r.entry.blob);
  if (contents.length > 1) assert.ok(blobs.filter((b) => b.includes('@')).length >= 2, `expected a batch file among ${blobs.join(', ')}`);
  return blobs;
}
