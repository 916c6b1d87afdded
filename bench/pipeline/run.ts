/**
 * bench/pipeline: delivers a generated corpus (default 10,000 messages, sizes up to 10 MB) from
 * disk into a local mailbox, with Postroom's pipeline and with Dovecot's LDA (dovecot-lda, one
 * process per message, as an MTA runs it), both fsync'ing, in the same run. Reports messages/s,
 * MB/s, the ratio, and Postroom's peak RSS.
 *
 *   npm run bench -- pipeline [--count N] [--max-mb M]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCorpus } from '../lib/corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const count = arg('count', 10_000);
const maxMb = arg('max-mb', 10);
const work = path.join(os.tmpdir(), 'postroom-bench-pipeline');
const corpusDir = path.join(work, `corpus-${count}-${maxMb}`);

console.log(`Generating (or reusing) ${count} messages up to ${maxMb} MB in ${corpusDir} ...`);
const corpus = await ensureCorpus({ dir: corpusDir, count, maxBytes: maxMb * 1024 * 1024 });
const totalMb = corpus.bytes / 1024 / 1024;
console.log(`Corpus: ${count} messages, ${totalMb.toFixed(0)} MB.`);

// Postroom, in its own process.
const data = path.join(work, 'postroom-data');
await rm(data, { recursive: true, force: true });
const pr = await new Promise<{ count: number; delivered: number; seconds: number; peakRssMb: number }>((resolve, reject) => {
  // The compiled build (bench/run.ts runs `npm run build` first): what `npm start` runs, so the RSS is the real one.
  const worker = path.resolve(here, '../../dist/bench/pipeline/postroom-worker.js');
  // The same V8 flag as bin/postroom.js and `npm start`.
  const child = spawn(process.execPath, ['--max-semi-space-size=4', worker, corpusDir, data], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`))));
});

// Dovecot LDA, one process per message, as the vmail user.
const lda = '/usr/lib/dovecot/dovecot-lda';
const dov = path.join(work, 'dovecot');
await rm(dov, { recursive: true, force: true });
await mkdir(path.join(dov, 'mail', 'bob'), { recursive: true });
if (spawnSync('id', ['vmail']).status !== 0) execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', 'vmail']);
await writeFile(
  path.join(dov, 'dovecot.conf'),
  `base_dir = ${dov}/run\nstate_dir = ${dov}/state\nlog_path = /dev/null\nmail_location = maildir:${dov}/mail/%u\nfirst_valid_uid = 100\n`,
);
await chmod(dov, 0o755);
execFileSync('chown', ['-R', 'vmail:vmail', path.join(dov, 'mail')]);
const t0 = process.hrtime.bigint();
for (const f of corpus.files) {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('setpriv', ['--reuid', 'vmail', '--regid', 'vmail', '--clear-groups', 'env', `HOME=${dov}/mail/bob`, 'USER=bob', lda, '-c', `${dov}/dovecot.conf`, '-f', 'sender@remote.test'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    createReadStream(f).pipe(child.stdin);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`dovecot-lda exited ${code} on ${f}`))));
  });
}
const dovSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

const rate = (n: number, s: number) => (n / s).toFixed(1);
console.log('\n| peer | messages | seconds | messages/s | MB/s | peak RSS |');
console.log('|---|---|---|---|---|---|');
console.log(`| Postroom pipeline (one process) | ${pr.count} | ${pr.seconds.toFixed(1)} | ${rate(pr.count, pr.seconds)} | ${rate(totalMb, pr.seconds)} | ${pr.peakRssMb.toFixed(0)} MB |`);
console.log(`| dovecot-lda (process per message) | ${count} | ${dovSeconds.toFixed(1)} | ${rate(count, dovSeconds)} | ${rate(totalMb, dovSeconds)} | n/a |`);
console.log(`\nPostroom/Dovecot LDA messages/s ratio: ${(dovSeconds / pr.seconds).toFixed(2)}; Postroom delivered ${pr.delivered} of ${pr.count}; peak RSS ${pr.peakRssMb.toFixed(0)} MB (limit 150 MB).`);
if (pr.peakRssMb >= 150) process.exitCode = 1;
