/**
 * The bundled command (tools/bundle.ts: what `npm run build` makes and bin/postroom.js runs) does
 * what the sources do: the other CLI tests run the sources, so this is where inlined packages
 * (zod, libmime, mailsplit, commander), the require() shim and the admin templates' location are
 * checked in the shipped form.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakePop3, type FakePop3Server } from '../fixtures/fake-pop3-server.js';
import { bundledCli } from '../helpers/bundle.js';
import { freePort, run, startServer, waitFor, type Command } from '../helpers/cli.js';
import { tempDir } from '../helpers/context.js';
import { message } from '../helpers/messages.js';
import { collectorYaml, office } from '../collect/helpers.js';

describe('the bundled postroom command', () => {
  let data: string;
  let bundle: Command;
  let isp: FakePop3Server;
  before(async () => {
    data = await tempDir('postroom-bundle-cli-');
    bundle = { bundle: await bundledCli() };
    // An encoded-word subject (libmime) and an 8-bit body, collected over POP3.
    isp = await startFakePop3({
      messages: [Buffer.from('From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nMessage-ID: <b1@remote.test>\r\n\r\nK\xe4se\r\n', 'latin1')],
      users: { isp: 'pw' },
    });
  });
  after(async () => {
    await isp.close();
    await rm(data, { recursive: true, force: true });
  });

  it('refuses a bad config naming the key (zod), applies a good one', async () => {
    const bad = path.join(data, 'bad.yaml');
    await writeFile(bad, 'domains: [example.test]\nlisten: { admin: not-a-port }\n');
    const refused = await run(data, ['config', 'apply', bad], undefined, bundle);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /listen\.admin/);
    assert.match(refused.stderr, /nothing was changed/);
    const good = path.join(data, 'c.yaml');
    await writeFile(good, office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: isp.port, user: 'isp', password: 'pw', routing: { mode: 'user', target: 'bob' } }));
    const applied = await run(data, ['config', 'apply', good], undefined, bundle);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /user bob: added/);
  });

  it('collects, delivers from stdin and lists the mailbox with decoded subjects', async () => {
    const collected = await run(data, ['collect'], undefined, bundle);
    assert.equal(collected.code, 0, collected.stderr);
    assert.match(collected.stdout, /1 downloaded, 1 delivered/);
    assert.equal(isp.messages.length, 0, 'deleted from the ISP once delivered');
    const delivered = await run(data, ['deliver', '--to', 'bob@example.test'], message({ subject: 'From stdin', messageId: '<b2@remote.test>' }), bundle);
    assert.match(delivered.stdout, /^delivered\tbob\tINBOX uid 2/);
    const box = await run(data, ['mailbox', 'bob'], undefined, bundle);
    assert.match(box.stdout, /INBOX \(2 messages/);
    assert.match(box.stdout, /Grüße/);
    assert.match(box.stdout, /From stdin/);
  });

  it('starts the server, whose admin pages find their templates', async () => {
    const port = await freePort();
    await writeFile(path.join(data, 'c.yaml'), office.replace('hostname: mail.example.test', `hostname: mail.example.test\nlisten: { smtp: 0, submission: 0, pop3: 0, imap: 0, admin: ${port} }`));
    assert.equal((await run(data, ['config', 'apply', path.join(data, 'c.yaml')], undefined, bundle)).code, 0);
    const server = await startServer(data, bundle);
    try {
      const page = await waitFor('the admin page', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return { status: res.status, html: await res.text() };
      });
      assert.match(page.html, /<form[^>]*action="\/login"/, `status ${page.status}`);
      const css = await fetch(`http://127.0.0.1:${port}/style.css`);
      assert.equal(css.status, 200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
