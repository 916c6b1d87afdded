/** /api/duplicates, /api/queue, /api/doctor (inject): the operations pages' actions for scripts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { message } from '../helpers/messages.js';
import { loggedInAdmin } from './helpers.js';

describe('admin JSON API: duplicates, queue, doctor', () => {
  const s = loggedInAdmin();

  it('needs a token for each route', async () => {
    for (const [method, url] of [['GET', '/api/duplicates'], ['POST', '/api/duplicates/1/release'], ['GET', '/api/queue'], ['POST', '/api/queue/1/retry'], ['DELETE', '/api/queue/1'], ['GET', '/api/doctor']] as const) {
      assert.equal((await s.call(method, url, undefined, {})).statusCode, 401, `${method} ${url}`);
    }
  });

  it('lists held copies and releases one to the INBOX; a second release is 404', async () => {
    const ingest = (n: number) =>
      s.h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject: 'Invoice api', body: 'Invoice attached.\r\n', messageId: `<api.${n}@billing.remote.test>` })] });
    await ingest(1);
    const held = (await ingest(2)).results[0]!;
    assert.equal(held.outcome, 'held');
    const list = (await s.call('GET', '/api/duplicates?user=bob')).json<{ heldDays: number; held: Array<{ deliveryId: number; subject: string; reason: string; heldAt: string }> }>();
    assert.deepEqual(list.held.map((c) => [c.deliveryId, c.subject]), [[held.deliveryId, 'Invoice api']]);
    assert.match(list.held[0]!.reason, /.+/);
    assert.match(list.held[0]!.heldAt, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual((await s.call('GET', '/api/duplicates?user=jane')).json<{ held: unknown[] }>().held, []);

    const d = (await s.call('GET', `/api/duplicates/${held.deliveryId}/diagnose`)).json<{ summary: string; findings: Array<{ cause: string; fix: string }> }>();
    assert.match(d.summary, /2 copies \(1 delivered, 1 held\)/);
    assert.deepEqual(d.findings.map((f) => f.cause), ['sender-own-message-ids']);
    const r = await s.call('POST', `/api/duplicates/${held.deliveryId}/release`);
    assert.equal(r.statusCode, 200);
    const body = r.json<{ released: number; user: string; uid: number }>();
    assert.equal(body.released, held.deliveryId);
    assert.equal(body.user, 'bob');
    assert.deepEqual(await s.h.ctx.store.held.list('bob'), []);
    assert.equal((await s.call('POST', `/api/duplicates/${held.deliveryId}/release`)).statusCode, 404);
    assert.equal((await s.call('POST', '/api/duplicates/abc/release')).statusCode, 404);
    assert.equal((await s.call('GET', `/api/duplicates/${held.deliveryId}/diagnose`)).statusCode, 404);
  });

  it('lists the queue, makes an entry due now, deletes one; unknown ids are 404', async () => {
    await s.h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '127.0.0.1', envelopeFrom: 'bob@example.test' }, routing: { mode: 'envelope', recipients: ['api-a@remote.test', 'api-b@remote.test'] }, content: [message({ subject: 'Out api', to: 'api-a@remote.test' })] });
    const entries = (await s.call('GET', '/api/queue')).json<{ entries: Array<{ id: number; recipient: string; state: string }> }>().entries.filter((e) => e.recipient.startsWith('api-'));
    assert.deepEqual(entries.map((e) => [e.recipient, e.state]).sort(), [['api-a@remote.test', 'queued'], ['api-b@remote.test', 'queued']]);
    const [a, b] = entries.sort((x, y) => x.recipient.localeCompare(y.recipient));
    const later = Date.now() + 3_600_000;
    await s.h.ctx.store.outbound.deferred([a!.id], '451 4.3.0 try later', Date.now(), later);
    assert.equal((await s.call('POST', `/api/queue/${a!.id}/retry`)).statusCode, 200);
    assert.ok((await s.h.ctx.store.outbound.get(a!.id))!.nextAttemptAt < later, 'due now');
    assert.equal((await s.call('DELETE', `/api/queue/${b!.id}`)).json<{ deleted: number }>().deleted, b!.id);
    assert.equal(await s.h.ctx.store.outbound.get(b!.id), undefined);
    assert.equal((await s.call('DELETE', `/api/queue/${b!.id}`)).statusCode, 404);
    assert.equal((await s.call('POST', `/api/queue/${b!.id}/retry`)).statusCode, 404);
  });

  it("answers the doctor's findings without the network check unless asked", async () => {
    const r = (await s.call('GET', '/api/doctor')).json<{ errors: number; warnings: number; findings: Array<{ check: string; message: string }> }>();
    assert.equal(typeof r.errors, 'number');
    assert.ok(r.findings.some((f) => /store integrity check passed/.test(JSON.stringify(f))), JSON.stringify(r.findings).slice(0, 400));
    assert.ok(!r.findings.some((f) => f.check === 'relay'), 'no relay check without network=1');
    const withNetwork = (await s.call('GET', '/api/doctor?network=1')).json<{ findings: Array<{ check: string; message: string }> }>();
    assert.match(withNetwork.findings.find((f) => f.check === 'relay')?.message ?? '', /no relay configured/);
  });
});
