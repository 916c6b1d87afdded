/** Every fetched copy's stored story names its remote mailbox, UIDL, session (id, start) and process. */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { it } from 'node:test';
import { startFakePop3 } from '../fixtures/fake-pop3-server.js';
import { testContext } from '../helpers/context.js';
import { collect, collectorYaml, office } from './helpers.js';

it('collector provenance: mailbox, UIDL, session id and time, host and pid', async () => {
  const mail = Buffer.from('From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: Story\r\nMessage-ID: <story@remote.test>\r\n\r\nHello\r\n');
  const server = await startFakePop3({ messages: [mail], uids: ['UID-0001'], users: { isp: 'pw' } });
  const ctx = await testContext(office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: server.port, user: 'isp', password: 'pw', routing: { mode: 'user', target: 'bob' } }));
  try {
    const report = await collect(ctx, 'isp');
    assert.deepEqual(report.errors, []);
    assert.match(report.sessionId, /^[0-9a-f]{12}$/);
    const [copy] = await ctx.store.provenance.copiesOf('bob', { messageId: 'story@remote.test' });
    assert.deepEqual(copy?.source.detail, {
      protocol: 'pop3',
      mailbox: `pop3://isp@127.0.0.1:${server.port}`,
      uid: 'UID-0001',
      routing: 'user',
      session: report.sessionId,
      sessionStartedAt: report.startedAt,
      host: hostname(),
      pid: process.pid,
    });
    assert.equal(copy?.source.remoteId, `pop3://isp@127.0.0.1:${server.port} UID-0001`);
    assert.deepEqual([copy?.outcome, copy?.mailbox, copy?.via], ['delivered', 'INBOX', 'routing target bob']);
  } finally {
    await server.close();
    await ctx.cleanup();
  }
});
