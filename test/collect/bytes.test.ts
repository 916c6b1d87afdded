/**
 * Collected mail is stored byte for byte: what Dovecot (the ISP) serves over POP3 and over IMAP
 * is what each stored message holds after our Received line, whether it shares a batch file with
 * others (small messages) or has a file of its own (large ones). Real mail's awkward bytes
 * included: 8-bit text, lines that start with dots, broken MIME, very long lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storedBytes } from '../helpers/files.js';
import { crlf, startDovecot, type DovecotInstance } from '../fixtures/dovecot.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { collect, collectorYaml, office } from './helpers.js';

function corpus(): Buffer[] {
  const head = (i: number, extra = '') => `From: Alice <alice@remote.test>\nTo: someone@remote.test\nSubject: Bytes ${i}\nMessage-ID: <bytes-${i}@remote.test>\n${extra}\n`;
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  return [
    latin1(`${head(0)}Gr\xfc\xdfe, caf\xe9 \xa4 8-bit without a charset\n`),
    latin1(`${head(1)}.starts with a dot\n..two dots\n.\nthe line above was a lone dot\n`),
    latin1(`${head(2, 'Content-Type: multipart/mixed; boundary="never-closed"\n')}--never-closed\nContent-Type: text/plain\n\nthe closing boundary never comes\n`),
    latin1(`${head(3)}${'x'.repeat(20_000)}\n`),
    // Larger than what a batch file takes (128 KB): a file of its own.
    latin1(`${head(4)}${'a line of a large message\n'.repeat(12_000)}`),
    // Just under it: in the batch file, far from its start.
    latin1(`${head(5)}${'a line of a mid-sized one\n'.repeat(4_500)}`),
    ...Array.from({ length: 6 }, (_, k) => latin1(`${head(6 + k)}small ${k}\n`)),
  ];
}

describe('collected mail is stored byte for byte (Dovecot, POP3 and IMAP)', () => {
  let isp: DovecotInstance;
  let ctx: TestContext;
  const messages = corpus();
  before(async () => {
    isp = await startDovecot({ tls: false, users: [{ name: 'bypop', password: 'p1', messages }, { name: 'byimap', password: 'p2', messages }] });
    ctx = await testContext(
      office +
        'collectors:\n' +
        collectorYaml({ name: 'pop', protocol: 'pop3', port: isp.ports.pop3, user: 'bypop', password: 'p1', routing: { mode: 'user', target: 'bob' } }) +
        collectorYaml({ name: 'imap', protocol: 'imap', port: isp.ports.imap, user: 'byimap', password: 'p2', routing: { mode: 'user', target: 'jane' } }),
    );
  });
  after(async () => {
    await ctx?.cleanup();
    await isp?.stop();
  });

  for (const [collector, user] of [
    ['pop', 'bob'],
    ['imap', 'jane'],
  ] as const) {
    it(`${collector}: every message, as the ISP served it, after our Received line`, async () => {
      const report = await collect(ctx, collector);
      assert.deepEqual(report.errors, []);
      const inbox = (await ctx.store.mailboxes.list(user)).find((b) => b.name === 'INBOX')!;
      const stored = await ctx.store.mailboxes.messages(inbox.id);
      assert.equal(stored.length, messages.length);
      for (const m of stored) {
        const i = Number(/^Bytes (\d+)$/.exec(m.subject ?? '')?.[1]);
        const expected = crlf(messages[i]!);
        const bytes = await storedBytes(ctx.blobs, m.blob);
        assert.equal(bytes.length, m.size, `message ${i}: recorded size`);
        const prefix = bytes.length - expected.length;
        assert.ok(prefix > 0 && prefix < 400 && bytes.subarray(0, prefix).toString('latin1').startsWith('Received: '), `message ${i}: our Received line first (${prefix} octets)`);
        assert.ok(bytes.subarray(prefix).equals(expected), `message ${i} (${m.blob}): the bytes the ISP served`);
      }
      const batched = stored.filter((m) => m.blob.includes('@'));
      assert.ok(batched.length >= messages.length - 1, `small messages share batch files: ${stored.map((m) => m.blob).join(', ')}`);
      assert.ok(stored.some((m) => !m.blob.includes('@')), 'the large one has a file of its own');
    });
  }
});
