/**
 * The dashboard's counts (page and GET /api/status): the outbound queue (waiting, deferred, age of
 * the oldest, bounced) and the copies suppressed and held today, counted by the store; a copy from
 * yesterday is not counted.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { startOfDay } from '../../src/admin/dashboard-counts.js';
import { message } from '../helpers/messages.js';
import { loggedInAdmin, text } from './helpers.js';

describe('admin dashboard counts', () => {
  const s = loggedInAdmin();
  const toBob = (messageId: string, body = 'Statement attached.\r\n') =>
    s.h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject: 'Statement', body, messageId })] });
  const outbound = (subject: string) =>
    s.h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '127.0.0.1', envelopeFrom: 'bob@example.test' }, routing: { mode: 'envelope', recipients: ['partner@remote.test'] }, content: [message({ subject, to: 'partner@remote.test' })] });

  before(async () => {
    const now = Date.now();
    const db = s.h.ctx.store.db;
    // Yesterday: a copy suppressed and one held (moved back to an hour before today's midnight).
    await toBob('<old@bank.test>', 'Old statement.\r\n');
    const oldSuppressed = (await toBob('<old@bank.test>', 'Old statement.\r\n')).results[0]!;
    const oldHeld = (await toBob('<old2@bank.test>', 'Old statement.\r\n')).results[0]!;
    assert.deepEqual([oldSuppressed.outcome, oldHeld.outcome], ['suppressed', 'held']);
    db.prepare('UPDATE deliveries SET at = ? WHERE id IN (?, ?)').run(startOfDay(now) - 3_600_000, oldSuppressed.deliveryId, oldHeld.deliveryId);
    // Today: one suppressed (same Message-ID), one held (same text, another Message-ID).
    await toBob('<s1@bank.test>');
    assert.equal((await toBob('<s1@bank.test>')).results[0]!.outcome, 'suppressed');
    assert.equal((await toBob('<s2@bank.test>')).results[0]!.outcome, 'held');
    // The queue: one waiting for 2 h 5 min and deferred once, one bounced.
    await outbound('Waiting');
    await outbound('Bounced');
    const [waiting, bounced] = await s.h.ctx.store.outbound.list();
    db.prepare('UPDATE outbound SET created_at = ? WHERE id = ?').run(now - (2 * 3600 + 5 * 60) * 1000 - 10_000, waiting!.id);
    await s.h.ctx.store.outbound.deferred([waiting!.id], '451 try later', now, now + 60_000);
    await s.h.ctx.store.outbound.failed([bounced!.id], '550 no such user', now);
  });

  it('the store counts today only, and the queue by state', async () => {
    const counts = await s.h.ctx.store.provenance.outcomeCounts(startOfDay(Date.now()));
    assert.deepEqual({ held: counts.held, suppressed: counts.suppressed }, { held: 1, suppressed: 1 });
    const q = await s.h.ctx.store.outbound.summary();
    assert.deepEqual({ ...q, oldestQueuedAt: typeof q.oldestQueuedAt }, { queued: 1, deferred: 1, failed: 1, oldestQueuedAt: 'number' });
  });

  it('shows the queue and today’s duplicates, linked to their pages', async () => {
    const page = await s.b.get('/');
    const t = text(page.body);
    assert.match(t, /Outgoing mail 1 waiting in the queue 1 deferred \(tried, will retry\) · oldest waiting 2 h 5 min · 1 bounced/);
    assert.match(t, /Duplicates today 1 suppressed · 1 held/);
    assert.match(t, /2 held copies are waiting for review/, 'held copies still in the folder, whatever the day');
    assert.match(page.body, /<a href="\/queue">Outgoing mail<\/a>/);
    assert.match(page.body, /<a href="\/duplicates">Duplicates today<\/a>/);
  });

  it('GET /api/status has the same counts', async () => {
    const status = await s.call('GET', '/api/status');
    assert.equal(status.statusCode, 200);
    const st = status.json();
    assert.equal(st.queue.queued, 1);
    assert.equal(st.queue.deferred, 1);
    assert.equal(st.queue.failed, 1);
    assert.ok(st.queue.oldestAgeSeconds >= 2 * 3600 + 5 * 60, `oldest ${st.queue.oldestAgeSeconds} s`);
    assert.equal(typeof st.queue.oldestQueuedAt, 'string', 'an ISO time');
    assert.deepEqual({ held: st.duplicatesToday.held, suppressed: st.duplicatesToday.suppressed }, { held: 1, suppressed: 1 });
    assert.equal(st.duplicatesToday.since, new Date(startOfDay(Date.now())).toISOString());
  });
});
