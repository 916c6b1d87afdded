/**
 * Fills a Postroom mailbox for the serving benchmarks (bench/pop3, bench/imap). By default one
 * message at a time through `pipeline.ingest` (each in a file of its own, as SMTP stores mail);
 * with BENCH_BATCH=N in groups of N as a collector stores them (`receive`, `acceptMany`,
 * `processMany`: the small messages of a group share one batch file), so that serving collected
 * mail is measured too.
 */
import { Readable } from 'node:stream';
import type { Pipeline } from '../../src/pipeline/pipeline.js';

export const FILL_BATCH = Math.max(1, Number(process.env.BENCH_BATCH ?? 1));

export async function fillMailbox(pipeline: Pipeline, recipient: string, messages: Buffer[]): Promise<void> {
  const request = (m: Buffer) => ({ source: { kind: 'cli' as const, name: 'bench' }, routing: { mode: 'envelope' as const, recipients: [recipient] }, content: Readable.from([m]) });
  if (FILL_BATCH === 1) {
    for (const m of messages) await pipeline.ingest(request(m));
    return;
  }
  for (let i = 0; i < messages.length; i += FILL_BATCH) {
    const received = [];
    for (const m of messages.slice(i, i + FILL_BATCH)) received.push(await pipeline.receive(request(m)));
    const ids = await pipeline.acceptMany(received);
    await pipeline.processMany(
      ids.map((id) => id!),
      received,
    );
  }
}
