/**
 * Delivers every file of a corpus through Postroom's pipeline, one after another, in a fresh data
 * directory, and prints {count, seconds, peakRssMb} as JSON. Run in its own process so its peak RSS
 * is its own.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { applyConfig } from '../../src/config/apply.js';
import { parseConfigText } from '../../src/config/load.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { peakRssMb } from '../lib/measure.js';

const [corpus, dataDir] = process.argv.slice(2) as [string, string];
const ctx = await openDataDir(dataDir, pino({ level: 'warn' }));
const { config } = parseConfigText('domains: [example.test]\nusers:\n  - { name: bob, addresses: [bob@example.test] }\n');
await applyConfig(ctx.store, config, { file: 'bench', prune: false, dryRun: false, unknownRecipientGiven: false });
const files = (await readdir(corpus)).filter((f) => f.endsWith('.eml')).sort();
const start = process.hrtime.bigint();
let delivered = 0;
for (const f of files) {
  const r = await ctx.pipeline.ingest({
    source: { kind: 'cli', name: 'bench' },
    routing: { mode: 'envelope', recipients: ['bob@example.test'] },
    content: createReadStream(path.join(corpus, f), { highWaterMark: 64 * 1024 }),
  });
  if (r.results[0]?.outcome === 'delivered') delivered++;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await ctx.close();
process.stdout.write(JSON.stringify({ count: files.length, delivered, seconds, peakRssMb: peakRssMb() }) + '\n');
