import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { RoutingSpec } from '../../src/pipeline/route.js';
import { drainSpool } from '../../src/pipeline/spool-runner.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { message } from '../helpers/messages.js';

const toBob: RoutingSpec = { mode: 'envelope', recipients: ['bob@example.test'] };

async function ingest(ctx: TestContext, content: Buffer, routing: RoutingSpec = toBob, name = 'test') {
  return ctx.pipeline.ingest({ source: { kind: 'cli', name }, routing, content: [content] });
}

async function inbox(ctx: TestContext, user: string, folder = 'INBOX') {
  const box = (await ctx.store.mailboxes.list(user)).find((b) => b.name === folder)!;
  return ctx.store.mailboxes.messages(box.id);
}

describe('pipeline: dedupe by Message-ID per recipient', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testContext(officeYaml)));
  after(async () => ctx.cleanup());

  it('delivers the first copy and suppresses an identical second copy', async () => {
    const a = await ingest(ctx, message({ messageId: '<dup1@remote.test>' }));
    const b = await ingest(ctx, message({ messageId: '<dup1@remote.test>' }));
    assert.equal(a.results[0]!.outcome, 'delivered');
    assert.equal(b.results[0]!.outcome, 'suppressed');
    assert.match(b.results[0]!.reason, /same Message-ID/);
    assert.equal((await inbox(ctx, 'bob')).filter((m) => m.messageId === 'dup1@remote.test').length, 1);
  });

  it('ignores per-copy trace headers and Message-ID case when matching (the ISP copies per recipient)', async () => {
    const base = { messageId: '<Trace1@Remote.test>' };
    await ingest(ctx, message({ ...base, extraHeaders: ['Received: from a by isp; Mon, 23 Nov 2026', 'Delivered-To: bob@example.test'] }));
    const second = await ingest(
      ctx,
      message({ ...base, messageId: '<trace1@remote.test>', extraHeaders: ['Received: from b by isp2; Tue', 'X-Original-To: jane@example.test', 'Return-Path: <x@y>'], eol: '\n' }),
    );
    assert.equal(second.results[0]!.outcome, 'suppressed');
  });

  it('is per recipient: the same message to another user is delivered to them', async () => {
    await ingest(ctx, message({ messageId: '<per-rcpt@remote.test>' }));
    const r = await ingest(ctx, message({ messageId: '<per-rcpt@remote.test>' }), { mode: 'envelope', recipients: ['bob@example.test', 'jane@example.test'] });
    const byUser = Object.fromEntries(r.results.map((x) => [x.user, x.outcome]));
    assert.deepEqual(byUser, { bob: 'suppressed', jane: 'delivered' });
  });

  it('delivers both messages when a Message-ID is reused with different content', async () => {
    const a = await ingest(ctx, message({ messageId: '<reused@remote.test>', body: 'first text\r\n' }));
    const b = await ingest(ctx, message({ messageId: '<reused@remote.test>', body: 'a different text\r\n' }));
    assert.equal(a.results[0]!.outcome, 'delivered');
    assert.equal(b.results[0]!.outcome, 'delivered');
    assert.match(b.results[0]!.reason, /different content: kept both/);
    assert.equal((await inbox(ctx, 'bob')).filter((m) => m.messageId === 'reused@remote.test').length, 2);
  });

  it('delivers one copy to a user reached several ways (address, alias, list)', async () => {
    const r = await ingest(ctx, message({ messageId: '<ways@remote.test>' }), {
      mode: 'envelope',
      recipients: ['bob@example.test', 'robert@example.test', 'staff@example.test', 'BOB@example.test'],
    });
    assert.deepEqual(r.results.map((x) => x.user).sort(), ['bob', 'jane']);
    assert.deepEqual(r.external, ['partner@elsewhere.test']);
  });

  it('stores one blob for all recipients', async () => {
    const r = await ingest(ctx, message({ messageId: '<oneblob@remote.test>', body: 'one blob\r\n' }), { mode: 'envelope', recipients: ['staff@example.test'] });
    assert.deepEqual(r.results.map((x) => x.outcome), ['delivered', 'delivered']);
    const blobs = new Set<string>();
    for (const u of ['bob', 'jane']) for (const m of await inbox(ctx, u)) if (m.messageId === 'oneblob@remote.test') blobs.add(m.blob);
    assert.deepEqual([...blobs], [r.blob]);
  });
});

describe('pipeline: content match (different Message-IDs, same content)', () => {
  for (const [policy, outcome, folder] of [
    ['hold', 'held', 'Possible duplicates'],
    ['deliver', 'delivered', 'INBOX'],
    ['off', 'delivered', 'INBOX'],
  ] as const) {
    it(`contentMatch: ${policy} → ${outcome} in ${folder}`, async () => {
      const ctx = await testContext(officeYaml + `duplicates: { contentMatch: ${policy} }\n`);
      try {
        await ingest(ctx, message({ messageId: '<copy-a@remote.test>' }));
        const r = await ingest(ctx, message({ messageId: '<copy-b@remote.test>' }));
        assert.equal(r.results[0]!.outcome, outcome);
        assert.equal(r.results[0]!.mailbox, folder);
        if (policy !== 'off') assert.match(r.results[0]!.reason, /same content/);
        const held = await inbox(ctx, 'bob', 'Possible duplicates');
        assert.equal(held.length, policy === 'hold' ? 1 : 0);
      } finally {
        await ctx.cleanup();
      }
    });
  }

  it('holds a copy without Message-ID whose content matches', async () => {
    const ctx = await testContext(officeYaml);
    try {
      await ingest(ctx, message({ messageId: null }));
      const r = await ingest(ctx, message({ messageId: null }));
      assert.equal(r.results[0]!.outcome, 'held');
      assert.match(r.results[0]!.reason, /no Message-ID/);
    } finally {
      await ctx.cleanup();
    }
  });

  it('globalDays: 0 turns the cross-message check off', async () => {
    const ctx = await testContext(officeYaml + 'duplicates: { globalDays: 0 }\n');
    try {
      await ingest(ctx, message({ messageId: '<w@remote.test>' }));
      const r = await ingest(ctx, message({ messageId: '<w@remote.test>' }));
      assert.equal(r.results[0]!.outcome, 'delivered');
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('pipeline: malformed input is stored byte for byte', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testContext(officeYaml)));
  after(async () => ctx.cleanup());

  const samples: Array<[string, Buffer]> = [
    ['NUL bytes and 8-bit', Buffer.concat([Buffer.from('Subject: caf\xe9\n\n', 'latin1'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0])])],
    ['no header/body separator', Buffer.from('Subject: x\nFrom: broken')],
    ['garbage, no header at all', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0d, 0x0a])],
    ['empty message', Buffer.alloc(0)],
    ['broken MIME and header lines', Buffer.from('Content-Type: multipart/mixed; boundary=\nnot a header\n: empty name\nFrom: <<<@@@>>>\n\n--x\n')],
    ['bare CR line endings', Buffer.from('Subject: cr\r\rbody\r')],
  ];
  for (const [name, raw] of samples) {
    it(name, async () => {
      const r = await ingest(ctx, raw);
      assert.equal(r.results.length, 1);
      assert.equal(r.results[0]!.outcome === 'suppressed', false);
      const stored = await readFile(ctx.blobs.pathOf(r.blob));
      const received = stored.subarray(0, stored.length - raw.length);
      assert.match(received.toString(), /^Received: from test \(cli\)\r\n\tby mail\.example\.test \(Postroom\)/);
      assert.ok(stored.subarray(stored.length - raw.length).equals(raw), 'original bytes kept exactly');
      assert.equal(r.size, stored.length);
    });
  }

  it('streams a message given in many small chunks', async () => {
    const raw = message({ messageId: '<chunks@remote.test>', body: 'x'.repeat(100_000) });
    const chunks = [];
    for (let i = 0; i < raw.length; i += 7) chunks.push(raw.subarray(i, i + 7));
    const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: 'test' }, routing: toBob, content: chunks });
    assert.equal(r.messageId, 'chunks@remote.test');
    const stored = await readFile(ctx.blobs.pathOf(r.blob));
    assert.ok(stored.subarray(stored.length - raw.length).equals(raw));
  });
});

describe('pipeline: provenance', () => {
  it('records source, routing notes and every outcome', async () => {
    const ctx = await testContext(officeYaml);
    try {
      const src = { kind: 'collector' as const, name: 'bob-isp', remoteId: 'pop.isp.test/bob UIDL 17', detail: { protocol: 'pop3' } };
      await ctx.pipeline.ingest({ source: src, routing: { mode: 'user', target: 'bob' }, content: [message({ messageId: '<p@remote.test>' })] });
      const r = await ctx.pipeline.ingest({ source: src, routing: { mode: 'user', target: 'bob' }, content: [message({ messageId: '<p@remote.test>' })] });
      const story = await ctx.store.deliveries.deliveriesOf(r.ingestId);
      assert.equal(story.length, 1);
      assert.equal(story[0]!.outcome, 'suppressed');
      assert.match(story[0]!.via, /routing target bob/);
      assert.deepEqual(r.notes, ['routing: all mail to "bob"']);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('pipeline: the spool (accept, then deliver exactly once)', () => {
  it('delivers a message accepted by a process that died before delivering it, once', async () => {
    const ctx = await testContext(officeYaml);
    try {
      const spoolId = await ctx.pipeline.accept({ source: { kind: 'smtp', name: '127.0.0.1' }, routing: toBob, content: [message({ messageId: '<spooled@x>' })] });
      assert.equal((await inbox(ctx, 'bob')).length, 0, 'accepted, not yet delivered');
      const log = pino({ level: 'silent' });
      assert.equal(await drainSpool(ctx.store, ctx.pipeline, log, { graceMs: 30_000 }), 0, 'left to the accepting process during the grace time');
      assert.equal(await drainSpool(ctx.store, ctx.pipeline, log, { graceMs: 30_000, now: Date.now() + 31_000 }), 1);
      assert.equal(await drainSpool(ctx.store, ctx.pipeline, log, { graceMs: 30_000, now: Date.now() + 31_000 }), 0);
      const again = await ctx.pipeline.process(spoolId);
      assert.equal(again.alreadyDone, true);
      assert.equal(again.results[0]!.outcome, 'delivered');
      assert.equal((await inbox(ctx, 'bob')).length, 1);
    } finally {
      await ctx.cleanup();
    }
  });

  it('processing the same entry concurrently delivers it once', async () => {
    const ctx = await testContext(officeYaml);
    try {
      const id = await ctx.pipeline.accept({ source: { kind: 'cli', name: 't' }, routing: toBob, content: [message({ messageId: '<conc@x>' })] });
      const rs = await Promise.all([ctx.pipeline.process(id), ctx.pipeline.process(id), ctx.pipeline.process(id)]);
      assert.deepEqual(rs.map((r) => r.alreadyDone).sort(), [false, true, true]);
      assert.equal((await inbox(ctx, 'bob')).length, 1);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('pipeline: a batch delivered from what the caller received', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testContext(officeYaml)));
  after(async () => ctx.cleanup());

  it('gives the same ingest record as a delivery that reads the spool entry back', async () => {
    const contents = [1, 2, 3].map((i) => message({ messageId: `<batch-known-${i}@remote.test>`, body: `text ${i}\r\n` }));
    const receiveAll = async () => {
      const received = [];
      for (const c of contents) received.push(await ctx.pipeline.receive({ source: { kind: 'cli', name: 'batch' }, routing: toBob, content: [c] }));
      return { received, ids: (await ctx.pipeline.acceptMany(received)).map((id) => id!) };
    };
    // Delivered from the received messages (no read back), then the same messages again,
    // delivered after reading each entry from the store: the second batch are duplicates.
    const a = await receiveAll();
    const fromReceived = await ctx.pipeline.processMany(a.ids, a.received);
    const b = await receiveAll();
    const fromStore = await ctx.pipeline.processMany(b.ids);
    for (const [i, r] of fromReceived.entries()) {
      const s = fromStore[i]!;
      assert.ok(!(r instanceof Error) && !(s instanceof Error));
      assert.equal(r.fingerprint, s.fingerprint);
      assert.equal(r.messageId, s.messageId);
      assert.equal(r.size, s.size);
      assert.equal(r.blob, a.received[i]!.entry.blob);
      assert.deepEqual(r.results.map((x) => x.outcome), ['delivered']);
      assert.deepEqual(s.results.map((x) => x.outcome), ['suppressed']);
      const [ta, tb] = [await ctx.store.trace.ingest(r.ingestId), await ctx.store.trace.ingest(s.ingestId)];
      assert.deepEqual({ ...ta, ingestId: 0, receivedAt: 0 }, { ...tb, ingestId: 0, receivedAt: 0 });
    }
  });
});
