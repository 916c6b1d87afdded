/**
 * bench/collect: downloads one corpus (default 5,000 mixed messages, a few of several MB) from
 * Debian's Dovecot on loopback, in one run, three ways:
 *   - Postroom: `postroom collect` (compiled build), every message durably stored and delivered;
 *   - getmail6 (Debian's package) into a Maildir, as an unprivileged user;
 *   - a bare pipelined RETR loop that discards the bytes (the protocol's ceiling here).
 * All three leave the messages on the server, so they read the same mailbox.
 *
 *   npm run bench -- collect [--count N] [--max-mb M]
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pop3Client } from '../../src/collect/pop3-client/index.js';
import { startDovecot } from '../../test/fixtures/dovecot.js';
import { ensureCorpus } from '../lib/corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const count = arg('count', 5000);
const maxMb = arg('max-mb', 6);
const work = path.join(os.tmpdir(), 'postroom-bench-collect');
const corpus = await ensureCorpus({ dir: path.join(work, `corpus-${count}-${maxMb}`), count, maxBytes: maxMb * 1024 * 1024, seed: 5 });
const totalMb = corpus.bytes / 1048576;
console.log(`Corpus: ${count} messages, ${totalMb.toFixed(0)} MB. Starting Dovecot...`);
const messages = await Promise.all(corpus.files.map((f) => readFile(f)));
const isp = await startDovecot({ tls: false, users: [{ name: 'isp', password: 'pw', messages }] });
messages.length = 0;

const time = async (fn: () => Promise<void>) => {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<void>((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });

try {
  // Bare ceiling: pipelined RETR (window 16), bytes read and dropped.
  let bareBytes = 0;
  const bare = await time(async () => {
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: isp.ports.pop3, security: 'none', user: 'isp', password: 'pw' });
    const list = await client.list();
    await client.retrieveMany(list.map((m) => m.id), async (_id, body) => {
      for await (const chunk of body) bareBytes += (chunk as Buffer).length;
    });
    await client.quit();
  });

  // Postroom: the real command, from the compiled build, on a fresh data directory.
  const data = path.join(work, 'postroom-data');
  await rm(data, { recursive: true, force: true });
  await mkdir(data, { recursive: true });
  const conf = path.join(data, 'bench.yaml');
  await writeFile(
    conf,
    `domains: [example.test]\nusers:\n  - { name: bob, addresses: [bob@example.test] }\ncollectors:\n  - { name: isp, protocol: pop3, host: 127.0.0.1, port: ${isp.ports.pop3}, security: none, user: isp, password: pw, leaveOnServerDays: 30, routing: { mode: user, target: bob } }\n`,
  );
  const cli = path.join(root, 'dist/src/cli/main.js');
  await sh(process.execPath, [cli, 'config', 'apply', conf], { POSTROOM_DATA: data });
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the Postroom process.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  let collectOutput = '';
  const postroom = await time(
    () =>
      new Promise<void>((resolve, reject) => {
        const c = spawn(process.execPath, [...nodeArgs, cli, 'collect'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, POSTROOM_DATA: data } });
        c.stdout.on('data', (d: Buffer) => (collectOutput += d.toString()));
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`postroom collect exited ${code}: ${collectOutput}`))));
      }),
  );
  // The session's own duration (from its report line), without the process start-up.
  const session = Number(/\(([\d.]+) s\)/.exec(collectOutput)?.[1] ?? postroom);

  // getmail6 into a Maildir, as the unprivileged user "bench" (it refuses to deliver as root).
  try {
    execFileSync('id', ['bench'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', 'bench']);
  }
  const gm = path.join(work, 'getmail');
  await rm(gm, { recursive: true, force: true });
  for (const d of ['', 'Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp']) await mkdir(path.join(gm, d), { recursive: true });
  await writeFile(
    path.join(gm, 'rc'),
    `[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = ${isp.ports.pop3}\nusername = isp\npassword = pw\n\n[destination]\ntype = Maildir\npath = ${gm}/Maildir/\n\n[options]\ndelete = false\nread_all = true\nverbose = 0\n`,
  );
  await chmod(work, 0o755);
  execFileSync('chown', ['-R', 'bench', gm]);
  const getmail = await time(() => sh('su', ['bench', '-s', '/bin/sh', '-c', `getmail --getmaildir ${gm} --rcfile ${gm}/rc`]));
  const got = execFileSync('sh', ['-c', `ls ${gm}/Maildir/new | wc -l`]).toString().trim();

  const row = (name: string, s: number) => `| ${name} | ${s.toFixed(1)} | ${(count / s).toFixed(0)} | ${(totalMb / s).toFixed(1)} |`;
  console.log(`\n| client | seconds | messages/s | MB/s |\n|---|---|---|---|`);
  console.log(row('bare pipelined RETR loop (ceiling, discards)', bare));
  console.log(row('Postroom `postroom collect` (whole process, fsync, delivered)', postroom));
  console.log(row('Postroom collector session (without process start-up)', session));
  console.log(row(`getmail6 → Maildir (${got} files)`, getmail));
  console.log(`\nPostroom (whole process) vs getmail6: ${(getmail / postroom).toFixed(1)}×; session vs bare ceiling: ${((bare / session) * 100).toFixed(0)}% (whole process: ${((bare / postroom) * 100).toFixed(0)}%); bare loop read ${(bareBytes / 1048576).toFixed(0)} MB; load: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await isp.stop();
}
