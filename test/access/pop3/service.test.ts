/** The POP3 Service as the server runs it: settings ports (0 = off), reconfigure rebinds. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pop3Service } from '../../../src/access/pop3/pop3-service.js';
import type { Settings } from '../../../src/config/schema.js';
import { ensureTls } from '../../../src/server/tls.js';
import { connectionRefused as refused, freePort } from '../../helpers/cli.js';
import { officeYaml, testContext, type TestContext } from '../../helpers/context.js';
import { RawClient } from './harness.js';



describe('POP3 service', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await testContext(officeYaml);
  });
  after(() => ctx.cleanup());

  it('listens on listen.pop3 and listen.pop3s, rebinds on reconfigure, and 0 turns a port off', async () => {
    const base = await ctx.store.config.settings();
    const [a, b, s] = [await freePort(), await freePort(), await freePort()];
    const at = (pop3: number, pop3s: number): Settings => ({ ...base, listen: { ...base.listen, address: '127.0.0.1', pop3, pop3s } });
    const service = pop3Service(ctx, await ensureTls(ctx.dataDir, base));
    await service.start(at(a, s));
    try {
      assert.equal(service.describe(), `listening on pop3 127.0.0.1:${a}, pop3s 127.0.0.1:${s}`);
      const c = await RawClient.connect(a);
      assert.match(await c.login(), /^\+OK/);
      const t = await RawClient.connect(s, { tls: true });
      assert.equal(await t.command('QUIT'), '+OK Bye');

      await service.reconfigure(at(b, 0));
      assert.equal(service.describe(), `listening on pop3 127.0.0.1:${b}`);
      assert.ok(await refused(a), 'old port closed');
      assert.ok(await refused(s), 'pop3s off');
      assert.match(await (await RawClient.connect(b)).command('CAPA'), /^\+OK/);
      await c.waitClosed(); // sessions of a closed listener end (without UPDATE)
    } finally {
      await service.stop();
    }
    assert.equal(service.describe(), 'off');
  });
});
