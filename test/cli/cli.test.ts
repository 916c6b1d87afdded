import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/context.js';
import { freePort, run, startServer, waitFor } from '../helpers/cli.js';
import { message } from '../helpers/messages.js';

const config = (adminPort: number) => `hostname: mail.example.test
domains: [example.test]
listen: { smtp: 0, submission: 0, pop3: 0, imap: 0, admin: ${adminPort} }
users:
  - { name: bob, password: bobpw, addresses: [bob@example.test] }
  - { name: jane, password: janepw, addresses: [jane@example.test] }
`;

describe('postroom CLI', () => {
  let data: string;
  before(async () => (data = await tempDir('postroom-cli-')));
  after(async () => rm(data, { recursive: true, force: true }));

  it('has --help on every subcommand', async () => {
    for (const cmd of [[], ['start'], ['config'], ['config', 'apply'], ['config', 'export'], ['user'], ['user', 'add'], ['user', 'list'], ['user', 'passwd'], ['user', 'remove'], ['deliver'], ['mailbox'], ['collect'], ['queue'], ['duplicates'], ['diagnose'], ['doctor']]) {
      const r = await run(data, [...cmd, '--help']);
      assert.equal(r.code, 0, `${cmd.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: postroom${cmd.length ? ' ' + cmd.join(' ') : ''}`));
    }
  });

  it('refuses a bad config file with exit 2, names the key, changes nothing', async () => {
    const file = path.join(data, 'bad.yaml');
    await writeFile(file, 'domains: [example.test]\nusers:\n  - { name: bob }\ncollectors:\n  - { name: c, protocol: pop3, host: h, user: u, routing: { mode: user, target: bbo } }\n');
    const r = await run(data, ['config', 'apply', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /collectors\[0\]\.routing\.target: no user or list named "bbo"; did you mean "bob"\?/);
    assert.match(r.stderr, /nothing was changed/);
    assert.match((await run(data, ['user', 'list'])).stdout, /No users/);
  });

  it('applies a config and reports a second apply as no change', async () => {
    const file = path.join(data, 'ok.yaml');
    await writeFile(file, config(await freePort()));
    const r = await run(data, ['config', 'apply', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /user bob: added/);
    assert.match((await run(data, ['config', 'apply', file])).stdout, /No changes/);
  });

  it('manages users', async () => {
    const add = await run(data, ['user', 'add', 'carol', '--address', 'carol@example.test', '--password-stdin'], 'pw1\n');
    assert.equal(add.code, 0, add.stderr);
    assert.match((await run(data, ['user', 'list'])).stdout, /carol\tcarol@example\.test/);
    assert.equal((await run(data, ['user', 'add', 'carol', '--password-stdin'], 'x\n')).code, 2);
    const gen = await run(data, ['user', 'passwd', 'carol']);
    assert.match(gen.stdout, /Password: \S{16}/);
    assert.equal((await run(data, ['user', 'remove', 'carol'])).code, 0);
    const again = await run(data, ['user', 'remove', 'carol']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no user named "carol"/);
  });

  it('delivers from stdin and from a file, and lists the mailbox', async () => {
    const msg = message({ subject: 'From the CLI', messageId: '<cli@remote.test>' });
    const r = await run(data, ['deliver', '--to', 'bob@example.test'], msg);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^delivered\tbob\tINBOX uid 1\tnew message/);
    const file = path.join(data, 'm.eml');
    await writeFile(file, msg);
    assert.match((await run(data, ['deliver', '--to', 'bob@example.test', file])).stdout, /^suppressed\tbob/);
    const remote = await run(data, ['deliver', '--to', 'x@remote.test', file]);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /not in a local domain/);
    const box = await run(data, ['mailbox', 'bob']);
    assert.match(box.stdout, /INBOX \(1 message/);
    assert.match(box.stdout, /From the CLI/);
    assert.match(box.stdout, /Possible duplicates \(0 messages/);
  });

  it('delivers exactly once when two processes deliver the same message at the same time', async () => {
    const msg = message({ subject: 'Race', messageId: '<race@remote.test>' });
    const results = await Promise.all([1, 2, 3].map(() => run(data, ['deliver', '--to', 'jane@example.test'], msg)));
    const outcomes = results.map((r) => r.stdout.split('\t')[0]).sort();
    assert.deepEqual(outcomes, ['delivered', 'suppressed', 'suppressed'], results.map((r) => r.stderr).join('\n'));
  });
});

describe('postroom start', () => {
  let data: string;
  before(async () => (data = await tempDir('postroom-start-')));
  after(async () => rm(data, { recursive: true, force: true }));

  it('bootstraps, refuses a second server, reloads config, survives SIGKILL, stops on SIGTERM', async () => {
    const port1 = await freePort();
    await writeFile(path.join(data, 'c.yaml'), config(port1));
    assert.equal((await run(data, ['config', 'apply', path.join(data, 'c.yaml')])).code, 0);

    // A first start on a directory that does not exist yet creates it. (It listens on the default
    // ports, which another program on this machine may hold: what is checked is what comes first.)
    const fresh = path.join(data, 'fresh', 'data');
    const freshRun = await startServer(fresh).then(
      async (s) => {
        s.child.kill('SIGTERM');
        await s.exited;
        return s.output();
      },
      (err: Error) => err.message,
    );
    assert.doesNotMatch(freshRun, /does not exist/);
    assert.match(freshRun, /Created the administrator "admin" with password/);
    assert.ok((await readdir(fresh)).includes('postroom.db'));

    const first = await startServer(data);
    assert.match(first.output(), /Created the administrator "admin" with password: \S{16}/);
    const health = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      return (await res.json()) as { status: string; pid: number; configGeneration: number };
    };
    const h1 = await waitFor('health', () => health(port1));
    assert.equal(h1.pid, first.child.pid);
    for (const f of ['postroom.db', 'blobs', 'tls', 'logs']) assert.ok((await readdir(data)).includes(f), f);
    assert.match(await readFile(path.join(data, 'tls', 'cert.pem'), 'utf8'), /BEGIN CERTIFICATE/);

    const second = await run(data, ['start']);
    assert.equal(second.code, 2);
    assert.match(second.stderr, new RegExp(`already running on .* \\(process ${first.child.pid} `));

    // A change made by another process is picked up without a restart.
    const port2 = await freePort();
    await writeFile(path.join(data, 'c.yaml'), config(port2));
    assert.match((await run(data, ['config', 'apply', path.join(data, 'c.yaml')])).stdout, /listen\.admin/);
    const h2 = await waitFor('health on the new port', () => health(port2));
    assert.ok(h2.configGeneration > h1.configGeneration);
    // ... and commands work beside the running server.
    assert.equal((await run(data, ['deliver', '--to', 'bob@example.test'], message({ messageId: '<beside@x>' }))).code, 0);

    first.child.kill('SIGKILL');
    await first.exited;
    const restarted = await startServer(data);
    assert.doesNotMatch(restarted.output(), /Created the administrator/, 'the admin is created once');
    await waitFor('health after restart', () => health(port2));
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
    const logs = await readdir(path.join(data, 'logs'));
    const text = (await Promise.all(logs.map((f) => readFile(path.join(data, 'logs', f), 'utf8')))).join('');
    assert.match(text, /"msg":"Postroom stopped"/);
    assert.match(text, /"msg":"configuration reloaded"/);
    await assert.rejects(fetch(`http://127.0.0.1:${port2}/api/health`));
  });
});
