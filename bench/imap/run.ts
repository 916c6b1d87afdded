/**
 * IMAP serving benchmark: the same 5,000-message mailbox served by Postroom and by Debian's Dovecot
 * in one run, fetched by the same minimal client (client.ts) over plain loopback, in three passes a
 * mail client makes: headers (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER]), the list view (ENVELOPE
 * BODYSTRUCTURE), and full bodies (BODY.PEEK[]). Reports messages/s per pass and the ratio.
 *
 *   node --import tsx bench/imap/run.ts            # 5,000 messages, 1 warm-up + 3 measured rounds
 *   BENCH_MESSAGES=500 BENCH_ROUNDS=1 node --import tsx bench/imap/run.ts
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" ...   # profile the Postroom server
 *
 * The warm-up is reported too: it is where Postroom computes and stores each blob's MIME structure
 * and Dovecot builds its index and cache. Needs root and dovecot-imapd (test/fixtures/dovecot.ts).
 * Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { applyConfig } from '../../src/config/apply.js';
import { parseConfigText } from '../../src/config/load.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { startDovecot } from '../../test/fixtures/dovecot.js';
import { tempDir } from '../../test/helpers/context.js';
import { mixedMailbox } from '../pop3/mailbox.js';
import { BenchClient, type FetchRound } from './client.js';
import { FILL_BATCH, fillMailbox } from '../lib/fill.js';

const COUNT = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const USER = 'bench';
const PASSWORD = 'bench-password';
const PASSES = {
  headers: '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])',
  'envelope+structure': '(UID FLAGS ENVELOPE BODYSTRUCTURE)',
  bodies: '(UID BODY.PEEK[])',
} as const;
type Pass = keyof typeof PASSES;
type Who = 'postroom' | 'dovecot';

async function fetchPass(port: number, pass: Pass): Promise<FetchRound> {
  const client = await BenchClient.connect(port, USER, PASSWORD);
  try {
    const r = await client.fetchAll(PASSES[pass]);
    if (r.responses !== COUNT) throw new Error(`${pass}: ${r.responses} FETCH responses for ${COUNT} messages`);
    return r;
  } finally {
    await client.close();
  }
}

async function startPostroom(dataDir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serve.ts');
  // BENCH_NODE_ARGS: extra node options for the server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve.ts exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const messages = mixedMailbox(COUNT, 20260601);
  console.log(`mailbox: ${COUNT} messages, ${(messages.reduce((n, m) => n + m.length, 0) / 1e6).toFixed(1)} MB as generated`);
  const dir = await tempDir('postroom-bench-imap-');
  const ctx = await openDataDir(dir, pino({ level: 'silent' }));
  const { config } = parseConfigText(`domains: [bench.test]\nusers:\n  - { name: ${USER}, password: ${PASSWORD}, addresses: [${USER}@bench.test] }\n`, 'bench.yaml');
  await applyConfig(ctx.store, config, { file: 'bench.yaml', prune: false, dryRun: false, unknownRecipientGiven: false });
  let t = Date.now();
  await fillMailbox(ctx.pipeline, `${USER}@bench.test`, messages);
  console.log(`postroom: ingested in ${((Date.now() - t) / 1000).toFixed(1)} s${FILL_BATCH > 1 ? ` (in batches of ${FILL_BATCH}, as a collector stores mail)` : ''}`);
  await ctx.close();
  const server = await startPostroom(dir);
  t = Date.now();
  const dovecot = await startDovecot({ users: [{ name: USER, password: PASSWORD, messages }], tls: false });
  console.log(`dovecot: seeded and started in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const port = (who: Who) => (who === 'postroom' ? server.port : dovecot.ports.imap);

  const results: Record<Who, Record<Pass, FetchRound[]>> = {
    postroom: { headers: [], 'envelope+structure': [], bodies: [] },
    dovecot: { headers: [], 'envelope+structure': [], bodies: [] },
  };
  try {
    for (const who of ['postroom', 'dovecot'] as const) {
      const warm = [];
      for (const pass of Object.keys(PASSES) as Pass[]) {
        const r = await fetchPass(port(who), pass);
        warm.push(`${pass} ${(COUNT / r.seconds).toFixed(0)} msg/s`);
      }
      console.log(`warm-up ${who}: ${warm.join(', ')}`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      const order: Who[] = r % 2 === 0 ? ['postroom', 'dovecot'] : ['dovecot', 'postroom'];
      for (const pass of Object.keys(PASSES) as Pass[]) for (const who of order) results[who][pass].push(await fetchPass(port(who), pass));
    }
  } finally {
    await server.stop();
    await dovecot.stop();
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`\n| pass | Postroom msg/s | Dovecot msg/s | Postroom MB/s | Dovecot MB/s | Postroom time / Dovecot time |`);
  console.log('|---|---|---|---|---|---|');
  for (const pass of Object.keys(PASSES) as Pass[]) {
    const rate = (who: Who) => median(results[who][pass].map((x) => x.responses / x.seconds));
    const mbps = (who: Who) => median(results[who][pass].map((x) => x.literalBytes / 1e6 / x.seconds));
    const p = rate('postroom');
    const d = rate('dovecot');
    console.log(`| ${pass} | ${p.toFixed(0)} | ${d.toFixed(0)} | ${mbps('postroom').toFixed(1)} | ${mbps('dovecot').toFixed(1)} | ${(d / p).toFixed(2)} |`);
  }
  console.log(`\n(median of ${ROUNDS} rounds; a time ratio of 1.5 or less is the target)`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
