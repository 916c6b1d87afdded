/** `postroom doctor` through the real CLI: configuration findings, relay AUTH refused or unreachable, certificate, exit status. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { freePort, run } from '../helpers/cli.js';
import { testContext } from '../helpers/context.js';
import { arrive, eml, fromCollector, headersRouting } from './fixtures.js';

interface Finding {
  check: string;
  severity: string;
  message: string;
  fix: string;
}

const base = (relay: string) => `hostname: mail.example.test
domains: [example.test]
relay: ${relay}
users:
  - { name: admin, addresses: [admin@example.test], admin: true }
  - { name: bob, addresses: [bob@example.test] }
collectors:
  - { name: office, protocol: pop3, host: pop.isp.example, user: office@example.test, password: x, routing: { mode: headers } }
  - { name: office-imap, protocol: imap, host: imap.isp.example, user: office@example.test, password: x, routing: { mode: headers } }
  - { name: bob-isp, protocol: pop3, host: pop.isp.example, user: bob@example.test, password: x, routing: { mode: headers } }
`;

async function doctor(dataDir: string): Promise<{ code: number | null; findings: Finding[]; text: string }> {
  const r = await run(dataDir, ['doctor', '--json']);
  const text = await run(dataDir, ['doctor']);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings, text: text.stdout };
}

describe('postroom doctor', () => {
  it('finds the configuration causes of duplicates, a refused relay login and an expiring certificate; exits 1', async () => {
    const smtp = new SMTPServer({ authOptional: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, onAuth: (_a, _s, cb) => cb(new Error('535 5.7.8 Authentication credentials invalid')) });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const port = (smtp.server.address() as { port: number }).port;
    const ctx = await testContext(base(`{ host: 127.0.0.1, port: ${port}, security: none, user: office@example.test, password: wrong }`));
    try {
      const pems = await generate([{ name: 'commonName', value: 'mail.example.test' }], { keySize: 2048, notAfterDate: new Date(Date.now() + 5 * 86_400_000) });
      await mkdir(path.join(ctx.dataDir, 'tls'), { recursive: true });
      await writeFile(path.join(ctx.dataDir, 'tls', 'cert.pem'), pems.cert);
      // Three messages from the header-routed office mailbox, none with an envelope header.
      for (const n of [1, 2, 3]) {
        const msg = eml(['From: a@remote.example', 'To: bob@example.test', `Subject: Order ${n}`, `Message-ID: <order-${n}@remote.example>`], `Order ${n}\n`);
        await arrive(ctx, fromCollector('office', 'pop3://office@example.test@pop.isp.example:995', `U${n}`, 's1'), headersRouting, msg);
      }
      const { code, findings, text } = await doctor(ctx.dataDir);
      assert.equal(code, 1);
      const by = (check: string) => findings.filter((f) => f.check === check);
      assert.match(by('collectors')[0]!.message, /collectors "office" .* and "office-imap" .* download the same ISP mailbox/);
      assert.equal(by('collectors')[0]!.severity, 'error');
      assert.match(by('routing')[0]!.fix, /set routing: \{ mode: user, target: bob \} on collector "bob-isp"/);
      assert.match(by('envelope-headers')[0]!.message, /collector "office" routes by headers, but none of its last 3 messages had an envelope header/);
      assert.deepEqual(by('unknown-recipient').map((f) => f.severity), ['error'], 'default unknownRecipient "postmaster" names nobody');
      assert.match(by('relay')[0]!.message, /refused our credentials for office@example.test/);
      assert.match(by('tls')[0]!.message, /expires in [45] days/);
      assert.deepEqual([by('store')[0]!.severity, by('instance')[0]!.severity], ['ok', 'ok']);
      assert.match(text, /^ERROR +collectors: /m);
      assert.match(text, /^ +fix: remove one of them/m);
    } finally {
      await new Promise<void>((r) => smtp.close(() => r()));
      await ctx.cleanup();
    }
  });

  it('a sound setup passes (unreachable relay aside) and an unreachable relay is an error', async () => {
    const port = await freePort();
    const ctx = await testContext(`hostname: mail.example.test
domains: [example.test]
unknownRecipient: admin
relay: { host: 127.0.0.1, port: ${port}, security: none }
users:
  - { name: admin, addresses: [admin@example.test], admin: true }
collectors:
  - { name: admin-isp, protocol: pop3, host: pop.isp.example, user: admin@example.test, password: x, routing: { mode: user, target: admin } }
`);
    try {
      const { code, findings } = await doctor(ctx.dataDir);
      assert.deepEqual(findings.filter((f) => f.severity !== 'ok').map((f) => f.check), ['relay']);
      assert.match(findings.find((f) => f.check === 'relay')!.message, /cannot reach the relay 127\.0\.0\.1:\d+/);
      assert.equal(code, 1);
      const offline = await run(ctx.dataDir, ['doctor', '--no-network']);
      assert.equal(offline.code, 0, offline.stdout);
      assert.match(offline.stdout, /All checks passed\./);
    } finally {
      await ctx.cleanup();
    }
  });
});
