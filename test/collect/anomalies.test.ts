/**
 * Remote mailbox anomalies against the scripted POP3 server: another program taking mail from
 * the mailbox (overlap), a server renumbering its UIDLs, and the normal sessions that must report
 * neither. The log is captured to check the warning is given as it happens.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { runCollector } from '../../src/collect/run-collector.js';
import { startFakePop3, type FakePop3Faults, type FakePop3Server } from '../fixtures/fake-pop3-server.js';
import { run } from '../helpers/cli.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { collectorYaml, office, subjects } from './helpers.js';

const N = 6;
const mailN = (i: number, withId = true) =>
  Buffer.from(
    `From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: Note ${i}\r\nDate: Mon, 23 Nov 2026 10:0${i}:00 +0000\r\n` +
      (withId ? `Message-ID: <note-${i}@remote.test>\r\n` : '') +
      `\r\n${'some text\r\n'.repeat(10 + i)}`,
  );

interface Setup {
  server: FakePop3Server;
  ctx: TestContext;
  uids: string[];
  faults: FakePop3Faults;
  /** Warnings logged so far. */
  warnings: string[];
  collect(): ReturnType<typeof runCollector>;
}

async function setup(opts: { withIds?: boolean; leaveOnServerDays?: number } = {}): Promise<Setup> {
  const uids = Array.from({ length: N }, (_, i) => `A${i + 1}`);
  const faults: FakePop3Faults = {};
  const server = await startFakePop3({ messages: Array.from({ length: N }, (_, i) => mailN(i + 1, opts.withIds ?? true)), uids, faults, users: { isp: 'pw' } });
  const ctx = await testContext(
    office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: server.port, user: 'isp', password: 'pw', timeoutSeconds: 1, leaveOnServerDays: opts.leaveOnServerDays ?? 1, routing: { mode: 'user', target: 'bob' } }),
  );
  const warnings: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) warnings.push((JSON.parse(line) as { msg: string }).msg);
      cb();
    },
  });
  const log = pino({ level: 'warn' }, sink);
  const collect = async () => {
    const c = (await ctx.store.config.snapshot()).collectors[0]!;
    return runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log }, c, { dryRun: false });
  };
  return { server, ctx, uids, faults, warnings, collect };
}

/** Removes message `n` (1-based) from the server, as another program's QUIT would. */
function takeAway(s: Setup, n: number): void {
  s.server.messages.splice(n - 1, 1);
  s.uids.splice(n - 1, 1);
}

interface Finding {
  check: string;
  severity: string;
  message: string;
  fix: string;
}

async function doctorFindings(ctx: TestContext): Promise<Finding[]> {
  const r = await run(ctx.dataDir, ['doctor', '--json', '--no-network']);
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => ['mailbox-overlap', 'uidl-anomaly', 'remote-mailboxes'].includes(f.check));
}

const notes = Array.from({ length: N }, (_, i) => `Note ${i + 1}`).sort();

describe('remote mailbox anomalies', () => {
  it('normal sessions (new mail, leave on server, our own deletions) report nothing', async () => {
    const s = await setup({ leaveOnServerDays: 1 });
    try {
      const first = await s.collect();
      assert.deepEqual([first.downloaded, first.kept, first.errors], [N, N, []]);
      // New mail arrives; nothing goes.
      s.server.messages.push(mailN(7));
      s.uids.push('A7');
      assert.equal((await s.collect()).downloaded, 1);
      // Two days on, everything is due: we delete it ourselves, and the next session sees an empty mailbox.
      s.ctx.store.db.prepare('UPDATE collector_journal SET first_seen = first_seen - 2 * 86400000 - 1000').run();
      assert.equal((await s.collect()).deleted, N + 1);
      assert.equal(s.server.messages.length, 0);
      await s.collect();
      assert.deepEqual(await s.ctx.store.anomalies.since(0), []);
      assert.deepEqual(s.warnings, []);
      assert.deepEqual((await doctorFindings(s.ctx)).map((f) => [f.check, f.severity]), [['remote-mailboxes', 'ok']]);
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });

  it('our DELE applied by a server whose answer to QUIT was lost is not blamed on another program', async () => {
    const s = await setup({ leaveOnServerDays: 0 });
    try {
      s.faults.stall = 'QUIT';
      const first = await s.collect();
      assert.deepEqual([first.downloaded, first.deleted, first.errors.length], [N, 0, 1]);
      assert.equal(s.server.commands.filter((c) => c.startsWith('DELE')).length, N);
      // The server did act on QUIT; only its answer never came.
      s.server.messages.splice(0);
      s.uids.splice(0);
      delete s.faults.stall;
      const second = await s.collect();
      assert.deepEqual([second.downloaded, second.errors], [0, []]);
      assert.deepEqual(await s.ctx.store.anomalies.since(0), []);
      assert.deepEqual(s.warnings.filter((w) => /vanished/.test(w)), []);
      assert.equal(await s.ctx.store.anomalies.countOpen(second.mailbox), 0, 'recorded as our deletion');
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });

  it('messages taken by another program: warned as it happens, recorded once, reported by doctor with the fix', async () => {
    const s = await setup({ leaveOnServerDays: 7 });
    try {
      await s.collect();
      // Outlook on a desk downloads and deletes messages 2 and 5.
      takeAway(s, 5);
      takeAway(s, 2);
      const second = await s.collect();
      assert.deepEqual([second.downloaded, second.deleted, second.errors], [0, 0, []]);
      assert.equal(s.warnings.length, 1);
      assert.match(s.warnings[0]!, /collector isp: 2 messages vanished from .* without our DELE: another program downloads from this mailbox/);
      // Reported once: the next session has nothing new to say.
      await s.collect();
      const anomalies = await s.ctx.store.anomalies.since(0);
      assert.deepEqual(anomalies.map((a) => [a.kind, a.collector, a.count, [...a.examples].sort()]), [['overlap', 'isp', 2, ['A2', 'A5']]]);
      assert.equal(s.warnings.length, 1);
      const findings = await doctorFindings(s.ctx);
      assert.equal(findings.length, 1);
      assert.equal(findings[0]!.check, 'mailbox-overlap');
      assert.equal(findings[0]!.severity, 'warning');
      assert.match(findings[0]!.message, /collector "isp": 2 messages vanished from pop3:\/\/isp@127\.0\.0\.1:\d+ without our DELE in 1 session/);
      assert.equal(findings[0]!.fix, 'another program downloads from this mailbox and deletes: set it to leave mail on the server, or remove it');
      const text = (await run(s.ctx.dataDir, ['doctor', '--no-network'])).stdout;
      assert.match(text, /^WARNING mailbox-overlap: collector "isp": 2 messages vanished/m);
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });

  it('messages listed by a cut session and taken by another program before we downloaded them: reported', async () => {
    const s = await setup({ leaveOnServerDays: 7 });
    try {
      s.faults.cutRetr = { id: 3, afterBytes: 50, then: 'close' };
      const first = await s.collect();
      assert.deepEqual([first.downloaded, first.errors.length], [2, 1]);
      delete s.faults.cutRetr;
      // Before our next session, Outlook takes messages 5 and 6, which we listed but never had.
      takeAway(s, 6);
      takeAway(s, 5);
      const second = await s.collect();
      assert.deepEqual([second.downloaded, second.errors], [2, []]);
      const anomalies = await s.ctx.store.anomalies.since(0);
      assert.deepEqual(anomalies.map((a) => [a.kind, a.count, [...a.examples].sort()]), [['overlap', 2, ['A5', 'A6']]]);
      assert.match(s.warnings.join('\n'), /collector isp: 2 messages vanished/);
      await s.collect();
      assert.equal((await s.ctx.store.anomalies.since(0)).length, 1, 'reported once');
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });

  it('renumbered UIDLs: nothing downloaded or delivered again, no DELE in that session, aliases known afterwards', async () => {
    const s = await setup({ leaveOnServerDays: 1 });
    try {
      await s.collect();
      // Due for deletion, so a normal session would DELE every message.
      s.ctx.store.db.prepare('UPDATE collector_journal SET first_seen = first_seen - 2 * 86400000 - 1000').run();
      s.uids.splice(0, N, ...s.uids.map((_, i) => `B${i + 1}`));
      const from = s.server.commands.length;
      const second = await s.collect();
      const sent = s.server.commands.slice(from);
      assert.deepEqual(sent.filter((c) => /^(DELE|RETR)/.test(c)), [], 'no DELE and no download in the session that saw the renumbering');
      assert.ok(sent.some((c) => c.startsWith('TOP')), 'Message-IDs read with TOP');
      assert.deepEqual([second.downloaded, second.delivered, second.deleted, second.kept, second.errors], [0, 0, 0, N, []]);
      assert.equal(s.server.messages.length, N);
      assert.deepEqual(await subjects(s.ctx, 'bob'), notes);
      const anomalies = await s.ctx.store.anomalies.since(0);
      assert.deepEqual(anomalies.map((a) => [a.kind, a.count]), [['renumbered', N]], 'not mistaken for another program taking mail');
      assert.match(s.warnings.join('\n'), /renumbered its UIDLs: 6 messages .* no message is deleted in this session/);
      const findings = await doctorFindings(s.ctx);
      assert.deepEqual(findings.map((f) => f.check), ['uidl-anomaly']);
      assert.match(findings[0]!.message, /renumbered its UIDLs .*: 6 messages already downloaded came back under new UIDLs \(A1 -> B1/);
      // The new UIDLs are aliases of the old journal rows: the next session deletes as usual.
      const third = await s.collect();
      assert.deepEqual([third.downloaded, third.deleted], [0, N]);
      assert.equal(s.server.messages.length, 0);
      assert.equal((await s.ctx.store.anomalies.since(0)).length, 1);
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });

  // Size alone is no proof: they are downloaded again, and with no Message-ID the ledger's content
  // match holds them (contentMatch: hold), so the user can see them but nothing reaches the INBOX twice.
  it('renumbered UIDLs without Message-IDs: downloaded again, the ledger holds every copy', async () => {
    const s = await setup({ withIds: false, leaveOnServerDays: 1 });
    try {
      await s.collect();
      s.ctx.store.db.prepare('UPDATE collector_journal SET first_seen = first_seen - 2 * 86400000 - 1000').run();
      s.uids.splice(0, N, ...s.uids.map((_, i) => `B${i + 1}`));
      const second = await s.collect();
      assert.deepEqual([second.downloaded, second.held, second.delivered, second.deleted], [N, N, 0, 0]);
      assert.deepEqual(await subjects(s.ctx, 'bob'), notes);
      assert.deepEqual(await subjects(s.ctx, 'bob', 'Possible duplicates'), notes);
      assert.deepEqual((await s.ctx.store.anomalies.since(0)).map((a) => a.kind), ['renumbered']);
    } finally {
      await s.server.close();
      await s.ctx.cleanup();
    }
  });
});
