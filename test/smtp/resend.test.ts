/**
 * Outlook's silent resend: the same 10 MB message submitted twice, the first connection cut right
 * after the final dot (the client never saw the 250). Each recipient gets exactly one copy.
 */
import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { drainSpool } from '../../src/pipeline/spool-runner.js';
import { claimSpooledSubmission, leftoverResendCheck } from '../../src/smtp/resend.js';
import { storedBytes } from '../helpers/files.js';
import { inbox, smtpHarness, type SmtpHarness } from './harness.js';

/** A minimal SMTP client over a raw socket: one command, one (possibly multi-line) reply. */
async function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /^(\d{3}) [^\n]*\n/m.exec(buffered);
      if (m) {
        const end = m.index + m[0].length;
        const text = buffered.slice(0, end);
        buffered = buffered.slice(end);
        return text.trim();
      }
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const cmd = async (line: string) => {
    socket.write(line + '\r\n');
    return reply();
  };
  await reply();
  return { socket, reply, cmd };
}

function bigMessage(): Buffer {
  const line = 'The quarterly figures, line after line, to make a message of ten megabytes...........\r\n';
  const head = 'From: Bob <bob@example.test>\r\nTo: jane@example.test, partner@remote.test\r\nSubject: Big figures\r\nMessage-ID: <big-resend@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n';
  return Buffer.from(head + line.repeat(Math.ceil((10 * 1024 * 1024) / line.length)));
}

async function submit(port: number, msg: Buffer, cutAfterDot: boolean): Promise<string | null> {
  const c = await rawClient(port);
  assert.match(await c.cmd('EHLO outlook.client.test'), /^250/);
  assert.match(await c.cmd(`AUTH PLAIN ${Buffer.from('\0bob\0bobpw').toString('base64')}`), /^235/);
  assert.match(await c.cmd('MAIL FROM:<bob@example.test>'), /^250/);
  assert.match(await c.cmd('RCPT TO:<jane@example.test>'), /^250/);
  assert.match(await c.cmd('RCPT TO:<partner@remote.test>'), /^250/);
  assert.match(await c.cmd('DATA'), /^354/);
  await new Promise<void>((resolve) => c.socket.write(msg, () => resolve()));
  if (cutAfterDot) {
    // The final dot, then gone before any reply: what Outlook's timeout looks like to the server.
    await new Promise<void>((resolve) => c.socket.end('.\r\n', () => resolve()));
    c.socket.destroy();
    return null;
  }
  const final = await c.cmd('.');
  await c.cmd('QUIT');
  c.socket.destroy();
  return final;
}

describe('idempotent submission', () => {
  let h: SmtpHarness;
  before(async () => (h = await smtpHarness()));
  after(async () => h.close());

  it('delivers and queues a 10 MB message once when the client resends it after a cut connection', async () => {
    const msg = bigMessage();
    assert.equal(await submit(h.submissionPort, msg, true), null);
    const second = await submit(h.submissionPort, msg, false);
    assert.match(second ?? '', /^250 2\.6\.0 /);
    // The first transaction may still be spooling when the resend arrives: wait for both.
    await new Promise((r) => setTimeout(r, 300));
    await h.service.idle();
    const jane = await inbox(h.ctx, 'jane');
    assert.equal(jane.filter((m) => m.includes('<big-resend@example.test>')).length, 1, 'one copy for jane');
    const queued = (await h.ctx.store.outbound.list()).filter((q) => q.recipient === 'partner@remote.test');
    assert.equal(queued.length, 1, 'one copy queued for the remote recipient');
    const entries = await Promise.all([1, 2].map((id) => h.ctx.store.spool.get(id)));
    assert.equal(entries.filter((e) => e?.state === 'done').length, 2);
    assert.equal(entries.filter((e) => /^resend of spool entry \d+: not delivered again$/.test(e?.lastError ?? '')).length, 1, 'the resend is recorded as such');
  });

  // The process died between the spool write and its resend check (the client saw no 250): the
  // leftover and the client's resend must still make one copy, whichever the server handles first.
  for (const order of ['resend first', 'leftover first'] as const) {
    it(`delivers once when a submission left in the spool by a dead process is resent (${order})`, async () => {
      const tag = order === 'resend first' ? 'a' : 'b';
      const msg = Buffer.from(`From: Bob <bob@example.test>\r\nTo: jane@example.test, partner@remote.test\r\nSubject: Left over ${tag}\r\nMessage-ID: <leftover-${tag}@example.test>\r\n\r\nFigures attached.\r\n`);
      // What the dead process had made durable: the spool row, without the resend check.
      await h.ctx.pipeline.accept({
        source: { kind: 'submission', name: 'outlook.client.test [127.0.0.1]', detail: { user: 'bob' }, envelopeFrom: 'bob@example.test' },
        routing: { mode: 'envelope', recipients: ['jane@example.test', 'partner@remote.test'] },
        content: [msg],
      });
      const settings = await h.ctx.store.config.settings();
      const check = leftoverResendCheck(h.ctx.store, h.ctx.blobs, () => settings);
      const drain = () => drainSpool(h.ctx.store, h.ctx.pipeline, pino({ level: 'silent' }), { graceMs: 0, check });
      if (order === 'leftover first') await drain();
      assert.match((await submit(h.submissionPort, msg, false)) ?? '', /^250 /);
      await h.service.idle();
      if (order === 'resend first') await drain();
      const jane = await inbox(h.ctx, 'jane');
      assert.equal(jane.filter((m) => m.includes(`<leftover-${tag}@example.test>`)).length, 1, 'one copy for jane');
      let relayed = 0;
      for (const q of await h.ctx.store.outbound.list()) {
        if (q.recipient === 'partner@remote.test' && (await storedBytes(h.ctx.blobs, q.blob)).includes(`<leftover-${tag}@example.test>`)) relayed++;
      }
      assert.equal(relayed, 1, 'one copy queued for the remote recipient');
      assert.deepEqual(await h.ctx.store.spool.pending(Date.now() + 1e12, 0, 10), [], 'nothing left in the spool');
    });
  }

  it('a leftover already checked is answered from the ledger on later spool passes, without reading its file again', async () => {
    const msg = Buffer.from('From: Bob <bob@example.test>\r\nTo: jane@example.test\r\nSubject: Stuck\r\nMessage-ID: <stuck@example.test>\r\n\r\nStill pending.\r\n');
    const spoolId = await h.ctx.pipeline.accept({
      source: { kind: 'submission', name: 'outlook.client.test [127.0.0.1]', detail: { user: 'bob' }, envelopeFrom: 'bob@example.test' },
      routing: { mode: 'envelope', recipients: ['jane@example.test'] },
      content: [msg],
    });
    const hours = (await h.ctx.store.config.settings()).smtp.resendWindowHours;
    assert.equal(await claimSpooledSubmission(h.ctx.store, h.ctx.blobs, spoolId, hours), null, 'first check: recorded');
    assert.equal(await h.ctx.store.submissions.recorded(spoolId), true);
    // Its delivery keeps failing, so it stays pending and the next pass asks again: with its file
    // gone, any read of it would throw.
    const entry = (await h.ctx.store.spool.get(spoolId))!;
    await rename(h.ctx.blobs.pathOf(entry.blob), `${h.ctx.blobs.pathOf(entry.blob)}.away`);
    try {
      assert.equal(await claimSpooledSubmission(h.ctx.store, h.ctx.blobs, spoolId, hours), null);
    } finally {
      await rename(`${h.ctx.blobs.pathOf(entry.blob)}.away`, h.ctx.blobs.pathOf(entry.blob));
    }
    await h.ctx.pipeline.process(spoolId);
  });

  it('delivers again when the same Message-ID comes with different content or recipients', async () => {
    const base = 'From: bob@example.test\r\nTo: jane@example.test\r\nSubject: s\r\nMessage-ID: <same-id@example.test>\r\n\r\n';
    assert.match((await submit(h.submissionPort, Buffer.from(base + 'first version\r\n'), false)) ?? '', /^250/);
    assert.match((await submit(h.submissionPort, Buffer.from(base + 'second version\r\n'), false)) ?? '', /^250/);
    await h.service.idle();
    assert.equal((await inbox(h.ctx, 'jane')).filter((m) => m.includes('<same-id@example.test>')).length, 2);
  });
});
