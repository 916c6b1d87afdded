/**
 * The collecting process is killed with SIGKILL at random instants, again and again, until a run
 * completes: every message must end up delivered exactly once, and the ISP mailbox empty.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openDataDir } from '../../src/server/data-dir.js';
import { prng } from '../../bench/lib/corpus.js';
import { startDovecot, type DovecotInstance } from '../fixtures/dovecot.js';
import { tempDir } from '../helpers/context.js';
import { BIN, run } from '../helpers/cli.js';
import { collectorYaml, office, onServer } from './helpers.js';

// Enough that a run lasts long enough for kills to land: since small messages share a batch file,
// a run of 1,500 often finished before its kill (only 4 of the required 5 landed).
const COUNT = 3000;

function message(i: number, rand: () => number): Buffer {
  const big = rand() < 0.05 ? 'x'.repeat(70).concat('\n').repeat(3000) : '';
  return Buffer.from(`From: alice@remote.test\nTo: bob@example.test\nSubject: Crash ${i}\nMessage-ID: <crash-${i}@remote.test>\n\nText ${i}\n${big}`);
}

describe('collector crash campaign (SIGKILL at random instants)', () => {
  let isp: DovecotInstance;
  let data: string;
  before(async () => {
    const rand = prng(7);
    isp = await startDovecot({ tls: false, users: [{ name: 'isp', password: 'pw', messages: Array.from({ length: COUNT }, (_, i) => message(i, rand)) }] });
    data = await tempDir('postroom-crash-');
    const file = path.join(data, 'c.yaml');
    await writeFile(file, office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: isp.ports.pop3, user: 'isp', password: 'pw', routing: { mode: 'user', target: 'bob' } }));
    const r = await run(data, ['config', 'apply', file]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await isp?.stop();
    if (data) await rm(data, { recursive: true, force: true });
  });

  it(`delivers each of ${COUNT} messages exactly once however often the collector is killed`, async (t) => {
    const rand = prng(11);
    let kills = 0;
    let completed = false;
    const db = new Database(path.join(data, 'postroom.db'), { readonly: true });
    const spooled = () => (db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
    try {
      for (let round = 0; round < 60 && !completed; round++) {
        const child = spawn(process.execPath, [BIN, 'collect'], { env: { ...process.env, POSTROOM_DATA: data, POSTROOM_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        // The tail of what the run printed, for the failure message (a failure must be diagnosable).
        let said = '';
        const keep = (d: Buffer) => (said = (said + d.toString()).slice(-4000));
        child.stdout!.on('data', keep);
        child.stderr!.on('data', keep);
        let exitCode: number | null | undefined;
        const exited = new Promise<void>((r) => child.on('exit', (code) => ((exitCode = code), r())));
        // Until enough kills have landed, every round is killed: half after a random number of newly
        // spooled messages plus a few random milliseconds (mid-download: mid-RETR, mid-fsync,
        // between spool and delivery), half at a random time (start-up, listing, DELE, QUIT).
        // Then a round is left to finish.
        const start = spooled();
        const killing = kills < 8;
        const byProgress = rand() < 0.5;
        const target = start + 1 + Math.floor(rand() * 200);
        // Early enough to land before a run ends: a run has become short.
        const deadline = Date.now() + (byProgress ? 8000 : 200 + rand() * 900);
        const watcher = (async () => {
          while (killing && exitCode === undefined) {
            await new Promise((r) => setTimeout(r, 5));
            if (exitCode !== undefined) return;
            if ((byProgress && spooled() >= target) || Date.now() >= deadline) {
              await new Promise((r) => setTimeout(r, Math.floor(rand() * 50)));
              child.kill('SIGKILL');
              return;
            }
          }
        })();
        await exited;
        await watcher;
        if (exitCode === 0 && (await onServer(isp.maildir('isp'))) === 0) completed = true;
        else if (exitCode === null) kills++;
        else assert.fail(`round ${round}: collect exited with ${exitCode}, ${await onServer(isp.maildir('isp'))} left on the server, after ${kills} kills:\n${said}`);
      }
    } finally {
      db.close();
    }
    assert.ok(completed, 'a run completed within 60 rounds');
    t.diagnostic(`${kills} kills landed`);
    assert.ok(kills >= 5, `only ${kills} kills landed: the campaign proved little`);

    const ctx = await openDataDir(data, pino({ level: 'silent' }));
    try {
      const boxes = await ctx.store.mailboxes.list('bob');
      const inbox = await ctx.store.mailboxes.messages(boxes.find((b) => b.name === 'INBOX')!.id);
      const held = await ctx.store.mailboxes.messages(boxes.find((b) => b.name === 'Possible duplicates')!.id);
      const ids = inbox.map((m) => m.messageId);
      const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(twice, [], 'no message twice');
      const missing = Array.from({ length: COUNT }, (_, i) => `crash-${i}@remote.test`).filter((id) => !ids.includes(id));
      assert.equal(ids.length, COUNT, `${ids.length} of ${COUNT} delivered after ${kills} kills; missing ${missing.slice(0, 10).join(' ')}`);
      assert.equal(held.length, 0);
      assert.deepEqual(await ctx.store.spool.pending(Date.now() + 1e12, 0, 10), [], 'nothing left in the spool');
      console.log(`# crash campaign: ${kills} kills, ${COUNT} messages delivered exactly once`);
    } finally {
      await ctx.close();
    }
  });
});
