/**
 * POP3 serving benchmark: the same mailbox of mixed messages served by Postroom and by Debian's
 * Dovecot in one run, each retrieved whole by the same pipelined client (src/collect/pop3-client,
 * RETR window 16, bodies counted as they stream), over plain loopback. Reports messages/s and MB/s
 * per server and the ratio.
 *
 *   npm run bench -- pop3                          # 5,000 messages, 1 warm-up + 3 measured rounds
 *   BENCH_MESSAGES=500 BENCH_ROUNDS=1 node --import tsx bench/pop3/run.ts   # quick, src/ via tsx
 *
 * Needs root and dovecot-pop3d (test/fixtures/dovecot.ts). Not part of `npm test`.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import pino from 'pino';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pop3Client } from '../../src/collect/pop3-client/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { applyConfig } from '../../src/config/apply.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { startDovecot } from '../../test/fixtures/dovecot.js';
import { tempDir } from '../../test/helpers/context.js';
import { mixedMailbox } from './mailbox.js';
import { FILL_BATCH, fillMailbox } from '../lib/fill.js';
import { cpuMs } from '../lib/measure.js';

const COUNT = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const USER = 'bench';
const PASSWORD = 'bench-password';

interface Round {
  messages: number;
  bytes: number;
  seconds: number;
  /** CPU time of the server and of this client during the round, µs per message. */
  serverUs: number;
  clientUs: number;
}

/** A round with the server's CPU: Dovecot's session process is counted once it has been reaped. */
async function measuredRound(port: number, pid: number, reaped: boolean): Promise<Round> {
  const server = cpuMs(pid, reaped);
  const client = process.cpuUsage();
  const round = await retrieveAll(port);
  const used = process.cpuUsage(client);
  if (reaped) await new Promise((r) => setTimeout(r, 300));
  const perMessage = (ms: number) => (ms * 1000) / round.messages;
  return { ...round, serverUs: perMessage(cpuMs(pid, reaped) - server), clientUs: perMessage((used.user + used.system) / 1000) };
}

/** Logs in, LISTs, RETRs everything pipelined, reads every body to its end, QUITs (deleting nothing). */
async function retrieveAll(port: number): Promise<Omit<Round, 'serverUs' | 'clientUs'>> {
  const start = process.hrtime.bigint();
  const client = await Pop3Client.connect({ host: '127.0.0.1', port, security: 'none', user: USER, password: PASSWORD, auth: 'user' });
  const ids = (await client.list()).map((e) => e.id);
  let bytes = 0;
  // Bodies are counted from 'data' events: `for await` over each body (Readable's async iterator,
  // which concatenates the chunks queued between two reads) cost this client 30-50 µs per message,
  // as much as a server's own work, so a fast server was measured at the client's pace.
  const result = await client.retrieveMany(
    ids,
    (_id, body) =>
      new Promise<void>((resolve, reject) => {
        body.on('data', (chunk: Buffer) => (bytes += chunk.length));
        body.once('end', resolve);
        body.once('error', reject);
      }),
  );
  await client.quit();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.retrieved.length !== COUNT) throw new Error(`retrieved ${result.retrieved.length} of ${COUNT}`);
  return { messages: result.retrieved.length, bytes, seconds };
}

/**
 * Through `npm run bench -- pop3`, bench/run.ts has just compiled dist/: the server then runs the
 * compiled serve.js, as `npm start` runs Postroom (tsx's transpiled code costs ~10 % more CPU per
 * message here). Run directly, it uses serve.ts through tsx, so it never measures a stale build.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const viaBenchRunner = path.resolve(process.argv[1] ?? '') === path.resolve(here, '../run.ts');
const serverScript = viaBenchRunner ? [path.resolve(here, '../../dist/bench/pop3/serve.js')] : ['--import', 'tsx', path.join(here, 'serve.ts')];

/** Runs serve.ts (or its build) in a child process, as `postroom start` would run the server. */
async function startPostroom(dataDir: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  // With the V8 flag bin/postroom.js and `npm start` run the server with.
  const nodeArgs = ['--max-semi-space-size=4', ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, ...serverScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    pid: child.pid!,
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
  const stored = messages.reduce((n, m) => n + m.length, 0);
  console.log(`mailbox: ${COUNT} messages, ${(stored / 1e6).toFixed(1)} MB as generated; postroom runs ${viaBenchRunner ? 'dist/ (compiled)' : 'src/ through tsx'}`);

  const dir = await tempDir('postroom-bench-pop3-');
  const ctx = await openDataDir(dir, pino({ level: 'silent' }));
  const { config } = parseConfigText(`domains: [bench.test]\nusers:\n  - { name: ${USER}, password: ${PASSWORD}, addresses: [${USER}@bench.test] }\n`, 'bench.yaml');
  await applyConfig(ctx.store, config, { file: 'bench.yaml', prune: false, dryRun: false, unknownRecipientGiven: false });
  let t = Date.now();
  await fillMailbox(ctx.pipeline, `${USER}@bench.test`, messages);
  console.log(`postroom: ingested in ${((Date.now() - t) / 1000).toFixed(1)} s${FILL_BATCH > 1 ? ` (in batches of ${FILL_BATCH}, as a collector stores mail)` : ''}`);
  await ctx.close();
  const server = await startPostroom(dir);
  const postroomPort = server.port;

  t = Date.now();
  const dovecot = await startDovecot({ users: [{ name: USER, password: PASSWORD, messages }], tls: false });
  console.log(`dovecot: seeded and started in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const results: Record<'postroom' | 'dovecot', Round[]> = { postroom: [], dovecot: [] };
  const loadBefore = os.loadavg()[0]!;
  try {
    // Warm-up: Dovecot builds its index, Postroom its tail cache; both warm the page cache.
    const warm = { postroom: await retrieveAll(postroomPort), dovecot: await retrieveAll(dovecot.ports.pop3) };
    console.log(`warm-up: postroom ${(COUNT / warm.postroom.seconds).toFixed(0)} msg/s, dovecot ${(COUNT / warm.dovecot.seconds).toFixed(0)} msg/s`);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so neither always runs on a cooler machine.
      const order = r % 2 === 0 ? (['postroom', 'dovecot'] as const) : (['dovecot', 'postroom'] as const);
      for (const who of order) {
        results[who].push(who === 'postroom' ? await measuredRound(postroomPort, server.pid, false) : await measuredRound(dovecot.ports.pop3, dovecot.pid, true));
      }
    }
  } finally {
    await server.stop();
    await dovecot.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const summary = (who: 'postroom' | 'dovecot') => {
    const rate = median(results[who].map((x) => x.messages / x.seconds));
    const mbps = median(results[who].map((x) => x.bytes / 1e6 / x.seconds));
    const serverUs = median(results[who].map((x) => x.serverUs));
    const clientUs = median(results[who].map((x) => x.clientUs));
    return { rate, mbps, serverUs, clientUs, bytes: results[who][0]!.bytes, rounds: results[who].map((x) => (x.messages / x.seconds).toFixed(0)).join(', ') };
  };
  const p = summary('postroom');
  const d = summary('dovecot');
  console.log(`\n| server | messages/s (median of ${ROUNDS}) | MB/s | rounds (msg/s) | server CPU µs/msg | client CPU µs/msg | bytes received |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, x] of [['Postroom', p], ['Dovecot', d]] as const) {
    console.log(`| ${name} | ${x.rate.toFixed(0)} | ${x.mbps.toFixed(1)} | ${x.rounds} | ${x.serverUs.toFixed(0)} | ${x.clientUs.toFixed(0)} | ${x.bytes} |`);
  }
  console.log(`\nratio Postroom / Dovecot (messages/s): ${(p.rate / d.rate).toFixed(2)}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(`${new Date().toISOString()}, load average (1 min) ${loadBefore.toFixed(1)} before the rounds, ${os.loadavg()[0]!.toFixed(1)} after`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
