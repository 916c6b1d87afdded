/**
 * The issue's crash test: a 500-member list, a message sent to it by SMTP to the real
 * `postroom start`, the server killed with SIGKILL right after the 250 (and at small random delays
 * after it, so some kills land inside the expansion), restarted, and every member has exactly one
 * copy of each message, for a distribution list and for a mailing list (whose copy is re-injected
 * through the spool: exactly once across the kill, src/lists/mailing.ts). The restart delivers leftovers before it says it is running (spool-runner).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, startServer } from '../helpers/cli.js';
import { tempDir } from '../helpers/context.js';
import { configure, inboxBlobs, message, SMTPLIB_SEND } from './helpers.js';

const MEMBERS = Array.from({ length: 500 }, (_, i) => `m${String(i).padStart(3, '0')}`);

/** Runs the smtplib sender and SIGKILLs the server `delayMs` after the 250 is seen. */
function sendThenKill(port: number, server: { kill(s: NodeJS.Signals): boolean }, delayMs: number, messageId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PORT: String(port), FROM: 'someone@outside.test', TO: 'all@example.test', MSG: message({ from: 'someone@outside.test', to: 'all@example.test', messageId, subject: messageId }) };
    const child = spawn('python3', ['-c', SMTPLIB_SEND], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes('sent')) {
        killed = true;
        if (delayMs === 0) server.kill('SIGKILL');
        else setTimeout(() => server.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => (killed ? setTimeout(resolve, delayMs + 10) : reject(new Error(`not accepted:\n${out}`))));
  });
}

for (const type of ['distribution', 'mailing'] as const) {
test(`SIGKILL during a 500-member ${type} list expansion: after restart every member has exactly one copy`, { timeout: 60_000 }, async (t) => {
  const dir = await tempDir();
  try {
    const port = await freePort();
    const users = ['postmaster', ...MEMBERS];
    await configure(
      dir,
      `hostname: mail.example.test
domains: [example.test]
listen: { smtp: ${port}, submission: 0, pop3: 0, imap: 0, admin: 0 }
users:
${users.map((u) => `  - { name: ${u}, addresses: [${u}@example.test] }`).join('\n')}
  - { name: admin, password: adminpw, admin: true }
lists:
  - { name: all, address: all@example.test, type: ${type}, members: [${MEMBERS.join(', ')}] }
`,
    );
    // Right after the 250, then at random small delays (the expansion of 500 takes tens of ms).
    const delays = [0, 0, Math.floor(Math.random() * 30) + 1, Math.floor(Math.random() * 120) + 30];
    let server = await startServer(dir);
    for (const [i, delay] of delays.entries()) {
      await sendThenKill(port, server.child, delay, `<crash-${i}@outside.test>`);
      await server.exited;
      // The restart delivers what the killed process left before it reports "running".
      server = await startServer(dir);
    }
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);

    // The kills right after the 250 must have left work for a restart, or this tested nothing.
    const logs = await readdir(path.join(dir, 'logs'));
    const text = (await Promise.all(logs.map((f) => readFile(path.join(dir, 'logs', f), 'utf8')))).join('');
    const leftovers = text.match(/delivered messages left in the spool/g)?.length ?? 0;
    t.diagnostic(`${leftovers} of ${delays.length} restarts found the message still in the spool`);
    assert.ok(leftovers >= 1, 'no kill landed before the expansion finished');

    const boxes = await inboxBlobs(dir, MEMBERS);
    const blobs = new Set<string>();
    for (const [user, got] of boxes) {
      assert.equal(got.length, delays.length, `${user} has ${got.length} copies, expected ${delays.length}`);
      assert.equal(new Set(got).size, delays.length, `${user} got one message twice`);
      for (const b of got) blobs.add(b);
    }
    // A mailing list's copy is a new blob (list headers prepended), made once per message.
    assert.equal(blobs.size, delays.length, 'each message is one stored blob shared by every member');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
}
