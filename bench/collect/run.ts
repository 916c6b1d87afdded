/**
 * bench/collect: downloads one corpus (default 5,000 mixed messages, a few of several MB) from
 * Debian's Dovecot on loopback, in one run, three ways:
 *   - Postroom: `postroom collect` (compiled build), every message durably stored and delivered;
 *   - getmail6 (Debian's package) into a Maildir, as an unprivileged user;
 *   - a bare pipelined RETR loop that discards the bytes (the protocol's ceiling here);
 *   - on request (`--only ...,floor`), the floor: the bare loop plus batch files fsync'd and a
 *     sha256 per message, no database (see runFloor).
 * All of them leave the messages on the server, so they read the same mailbox. Each row also says
 * how much CPU Dovecot and the whole machine spent during it (bench/lib/measure.ts).
 *
 *   npm run bench -- collect [--count N] [--max-mb M] [--only bare,postroom,getmail,floor]
 *
 * `--only` runs a subset (e.g. `--only bare,postroom` for quick before/after comparisons);
 * `--repeat N` runs the chosen clients N times in turn against the same Dovecot (one line each);
 * `--cli A.js,B.js` alternates Postroom builds (e.g. a copy of dist/ from before a change) so that
 * an A/B comparison shares the same minute of a busy machine; `VAR=VALUE+A.js` runs A.js with an
 * environment variable set (e.g. `UV_THREADPOOL_SIZE=4+dist/src/cli/main.js`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { close, closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pop3Client } from '../../src/collect/pop3-client/index.js';
import { startDovecot } from '../../test/fixtures/dovecot.js';
import { ensureCorpus } from '../lib/corpus.js';
import { cpuMs, machineBusyMs } from '../lib/measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const count = arg('count', 5000);
const maxMb = arg('max-mb', 6);
const onlyAt = process.argv.indexOf('--only');
const repeat = arg('repeat', 1);
const cliAt = process.argv.indexOf('--cli');
// By default `postroom collect` as installed: bin/postroom.js (which runs the compiled build),
// with the V8 flag its first line gives node.
const clis = (cliAt > 0 ? process.argv[cliAt + 1]!.split(',') : ['bin/postroom.js']).map((spec) => {
  const parts = spec.split('+');
  const env = Object.fromEntries(parts.slice(0, -1).map((kv) => kv.split('=') as [string, string]));
  return { spec, file: path.resolve(root, parts.at(-1)!), env };
});
const only = new Set(onlyAt > 0 ? process.argv[onlyAt + 1]!.split(',') : ['bare', 'postroom', 'getmail']);
const work = path.join(os.tmpdir(), 'postroom-bench-collect');
const corpus = await ensureCorpus({ dir: path.join(work, `corpus-${count}-${maxMb}`), count, maxBytes: maxMb * 1024 * 1024, seed: 5 });
const totalMb = corpus.bytes / 1048576;
console.log(`Corpus: ${count} messages, ${totalMb.toFixed(0)} MB. Starting Dovecot...`);
const messages = await Promise.all(corpus.files.map((f) => readFile(f)));
const isp = await startDovecot({ tls: false, users: [{ name: 'isp', password: 'pw', messages }] });
messages.length = 0;

/** Seconds `fn` took; `load` says how much CPU Dovecot and the whole machine spent meanwhile (see measure.ts). */
let load = '';
const time = async (fn: () => Promise<void>) => {
  const [dovecot0, busy0] = [cpuMs(isp.pid, true), machineBusyMs()];
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Dovecot's per-session process is counted once reaped: give the master a moment to wait for it.
  await new Promise((r) => setTimeout(r, 200));
  const busy = (machineBusyMs() - busy0) / 1000;
  load = `Dovecot CPU ${((cpuMs(isp.pid, true) - dovecot0) / 1000).toFixed(1)} s, machine busy ${busy.toFixed(1)} of ${(seconds * os.cpus().length).toFixed(1)} CPU-s`;
  return seconds;
};
const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<void>((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });

// Each run writes into a new directory, removed once the run is measured, so that every run meets
// the same file system. Removing files before a run made that run slower: ext4 without a journal
// (as here) avoids reusing an inode freed less than 60 s ago, or 300 s while its inode-table block is
// still dirty (fs/ext4/ialloc.c, recently_deleted), and scans past every such inode for each file
// it creates: `perf record` of a run started 40 s after a clean-up showed 10 % of Postroom's CPU in
// find_inode_bit/recently_deleted, open(2) at 180 µs. So each clean-up is followed by `sync` (the
// inode tables written out: the 60 s rule applies) and a writing run starts 62 s after the last clean-up.
const runs = path.join(work, 'runs');
const removedStamp = path.join(work, 'runs-removed-at');
const removeRuns = async () => {
  await rm(runs, { recursive: true, force: true });
  execFileSync('sync');
  await writeFile(removedStamp, String(Date.now()));
};
// Left over from an invocation that was killed: removed (and waited for) too.
if (await stat(runs).catch(() => null)) await removeRuns();
const quietAfterRemoval = async () => {
  const wait = Number(await readFile(removedStamp, 'utf8').catch(() => '0')) + 62_000 - Date.now();
  if (wait > 0) {
    console.log(`(waiting ${(wait / 1000).toFixed(0)} s: files were removed just now, see quietAfterRemoval)`);
    await new Promise((r) => setTimeout(r, wait));
  }
};
let runNo = 0;
const freshDir = async (name: string) => {
  await quietAfterRemoval();
  const dir = path.join(runs, `${name}-${++runNo}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

const runBare = async () => {
  // Bare ceiling: pipelined RETR (the client's default window, as Postroom's session uses), bytes read and dropped.
  let bytes = 0;
  const seconds = await time(async () => {
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: isp.ports.pop3, security: 'none', user: 'isp', password: 'pw' });
    const list = await client.list();
    await client.retrieveMany(list.map((m) => m.id), async (_id, body) => {
      for await (const chunk of body) bytes += (chunk as Buffer).length;
    });
    await client.quit();
  });
  return { seconds, bytes, load };
};

/**
 * The least any durable collector must do, in this process (no start-up): the bare loop, plus
 * every message's bytes appended to one file per batch (32 messages or 16 MB, as Postroom's
 * batches), each file fsync'd, then its directory, and a sha256 of every message (Postroom's
 * duplicate detection needs one). No database, no parsing, no delivery. What it shows: how close
 * to the ceiling storing durably can get here, and so what ratio to getmail6 is reachable at all.
 */
const runFloor = async () => {
  const dir = await freshDir('floor');
  const seconds = await time(async () => {
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: isp.ports.pop3, security: 'none', user: 'isp', password: 'pw' });
    const list = await client.list();
    let fd = -1;
    let inBatch = 0;
    let batchBytes = 0;
    let files = 0;
    const syncs: Array<Promise<void>> = [];
    const closeBatch = () => {
      const f = fd;
      fd = -1;
      syncs.push(new Promise<void>((resolve, reject) => fsync(f, (e) => (e ? reject(e) : close(f, () => resolve())))));
    };
    await client.retrieveMany(list.map((m) => m.id), async (_id, body) => {
      if (fd === -1) fd = openSync(path.join(dir, String(++files)), 'wx');
      const hash = createHash('sha256');
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        writeSync(fd, chunk as Buffer);
        batchBytes += (chunk as Buffer).length;
      }
      hash.digest();
      if (++inBatch >= 32 || batchBytes >= 16 * 1024 * 1024) {
        closeBatch();
        inBatch = 0;
        batchBytes = 0;
        // Two batches on their way at most, as Postroom.
        if (syncs.length > 2) await syncs.shift();
      }
    });
    if (fd !== -1) closeBatch();
    await Promise.all(syncs);
    const d = openSync(dir, 'r');
    fsyncSync(d);
    closeSync(d);
    await client.quit();
  });
  await removeRuns();
  return { seconds, load };
};

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

const runPostroom = async (cli: (typeof clis)[number]) => {
  // The real command, as built (bin/postroom.js runs the bundle), on a fresh data directory.
  const data = await freshDir('postroom-data');
  const conf = path.join(data, 'bench.yaml');
  await writeFile(
    conf,
    `domains: [example.test]\nusers:\n  - { name: bob, addresses: [bob@example.test] }\ncollectors:\n  - { name: isp, protocol: pop3, host: 127.0.0.1, port: ${isp.ports.pop3}, security: none, user: isp, password: pw, leaveOnServerDays: 30, routing: { mode: user, target: bob } }\n`,
  );
  await sh(process.execPath, [cli.file, 'config', 'apply', conf], { POSTROOM_DATA: data });
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the Postroom process.
  const nodeArgs = ['--max-semi-space-size=4', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // BENCH_WRAP="strace -c -f -o FILE" runs it under another program.
  const wrap = (process.env.BENCH_WRAP ?? '').split(' ').filter(Boolean);
  let output = '';
  const cpuFile = path.join(work, 'postroom-cpu');
  const seconds = await time(
    () =>
      new Promise<void>((resolve, reject) => {
        // /usr/bin/time: the process's CPU seconds, which a busy machine changes less than the wall time.
        const c = spawn('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, ...wrap, process.execPath, ...nodeArgs, cli.file, 'collect'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...cli.env, POSTROOM_DATA: data } });
        c.stdout.on('data', (d: Buffer) => (output += d.toString()));
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`postroom collect exited ${code}: ${output}`))));
      }),
  );
  // The session's own duration (from its report line), without the process start-up.
  const session = Number(/\(([\d.]+) s\)/.exec(output)?.[1] ?? seconds);
  const delivered = Number(/(\d+) delivered/.exec(output)?.[1] ?? NaN);
  const [user, sys] = (await readFile(cpuFile, 'utf8')).trim().split(/\s+/).map(Number);
  await removeRuns();
  return { seconds, session, delivered, cpu: `${user!.toFixed(1)} user + ${sys!.toFixed(1)} sys`, load };
};

const runGetmail = async () => {
  // getmail6 into a Maildir, as the unprivileged user "bench" (it refuses to deliver as root).
  try {
    execFileSync('id', ['bench'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', 'bench']);
  }
  const gm = await freshDir('getmail');
  for (const d of ['Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp']) await mkdir(path.join(gm, d), { recursive: true });
  await writeFile(
    path.join(gm, 'rc'),
    `[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = ${isp.ports.pop3}\nusername = isp\npassword = pw\n\n[destination]\ntype = Maildir\npath = ${gm}/Maildir/\n\n[options]\ndelete = false\nread_all = true\nverbose = 0\n`,
  );
  await chmod(work, 0o755);
  await chmod(runs, 0o755);
  execFileSync('chown', ['-R', 'bench', gm]);
  const seconds = await time(() => sh('su', ['bench', '-s', '/bin/sh', '-c', `getmail --getmaildir ${gm} --rcfile ${gm}/rc`]));
  const files = execFileSync('sh', ['-c', `ls ${gm}/Maildir/new | wc -l`]).toString().trim();
  await removeRuns();
  return { seconds, files, load };
};

try {
  const row = (name: string, s: number) => `| ${name} | ${s.toFixed(1)} | ${(count / s).toFixed(0)} | ${(totalMb / s).toFixed(1)} |`;
  const rows: string[] = [];
  let bare: Awaited<ReturnType<typeof runBare>> | null = null;
  let postroom: Awaited<ReturnType<typeof runPostroom>> | null = null;
  // Each Postroom run against the bare loop of the same pass: on a machine whose speed drifts
  // within minutes, the pass-by-pass ratios and their median say more than one pair.
  const ratios: Record<string, number[]> = {};
  const wholeSeconds: Record<string, number[]> = {};
  // Dovecot's first pass over a fresh mailbox is slower (it builds its index and cache): one pass
  // that is not counted, so that the ceiling and every client find the same warm server. Then the
  // seeded Maildir's gigabyte of dirty pages is written out, so that the kernel's background
  // writeback does not compete with whichever client happens to run when it starts.
  await runBare();
  execFileSync('sync');
  for (let r = 0; r < repeat; r++) {
    if (only.has('bare')) {
      bare = await runBare();
      rows.push(row(`bare pipelined RETR loop (ceiling, discards; ${bare.load})`, bare.seconds));
    }
    if (only.has('floor')) {
      const floor = await runFloor();
      rows.push(row(`floor: the bare loop + batch files fsync'd + sha256, no database (${floor.load})`, floor.seconds));
    }
    for (const cli of only.has('postroom') ? clis : []) {
      postroom = await runPostroom(cli);
      const which = clis.length > 1 ? ` [${cli.spec}]` : '';
      if (bare) (ratios[cli.spec] ??= []).push(bare.seconds / postroom.session);
      (wholeSeconds[cli.spec] ??= []).push(postroom.seconds);
      rows.push(row(`Postroom \`postroom collect\`${which} (whole process, fsync, ${postroom.delivered} delivered, CPU ${postroom.cpu} s; ${postroom.load})`, postroom.seconds));
      rows.push(row(`Postroom collector session${which} (without process start-up)`, postroom.session));
    }
  }
  const getmail = only.has('getmail') ? await runGetmail() : null;
  if (getmail) rows.push(row(`getmail6 → Maildir (${getmail.files} files; ${getmail.load})`, getmail.seconds));
  console.log(`\n| client | seconds | messages/s | MB/s |\n|---|---|---|---|\n${rows.join('\n')}\n`);
  if (postroom && getmail) {
    // Every pass, not only the last one before getmail6's run: passes differ by up to a second.
    for (const [spec, list] of Object.entries(wholeSeconds)) {
      const ratio = (s: number) => `${(getmail.seconds / s).toFixed(1)}×`;
      const each = list.length > 1 ? ` (${list.map((s, i) => `pass ${i + 1}: ${ratio(s)}`).join(', ')}; median ${ratio(median(list))})` : '';
      console.log(`Postroom${clis.length > 1 ? ` [${spec}]` : ''} (whole process) vs getmail6: ${ratio(list[list.length - 1]!)}${each}`);
    }
  }
  if (postroom && bare) {
    console.log(`Postroom vs bare ceiling: session ${((bare.seconds / postroom.session) * 100).toFixed(0)}%, whole process ${((bare.seconds / postroom.seconds) * 100).toFixed(0)}%; bare loop read ${(bare.bytes / 1048576).toFixed(0)} MB`);
  }
  for (const [spec, list] of Object.entries(ratios)) {
    if (list.length < 2) continue;
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    console.log(`Postroom${clis.length > 1 ? ` [${spec}]` : ''} vs the bare loop of the same pass (session): ${list.map(pct).join(', ')}; median ${pct(median(list))}`);
  }
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${new Date().toISOString()}`);
} finally {
  await isp.stop();
  await removeRuns();
}
