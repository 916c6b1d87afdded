/**
 * Real POP3 clients against Postroom: Python's poplib, fetchmail (into files through an MDA) and
 * curl's pop3:// and pop3s:// URLs. Each compares what the client stored with the stored message.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { deliverBatch } from '../../helpers/deliver.js';
import { storedBytes } from '../../helpers/files.js';
import { message } from '../../helpers/messages.js';
import { tempDir } from '../../helpers/context.js';
import { startPop3, type Pop3Harness } from './harness.js';

const exec = promisify(execFile);
const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

/** The stored messages of a user by UIDL, as clients should receive them (CRLF). */
async function expectedByUidl(h: Pop3Harness, user: string): Promise<Map<string, Buffer>> {
  const drop = await h.ctx.store.maildrops.snapshot(user);
  const out = new Map<string, Buffer>();
  for (const m of drop.messages) out.set(`${drop.uidValidity}.${m.uid}`, crlf(await storedBytes(h.ctx.blobs, m.blob)));
  return out;
}

const mixed = (prefix: string, n: number, to = 'bob@example.test') =>
  Array.from({ length: n }, (_, i) =>
    message({
      to,
      subject: `${prefix} ${i}`,
      messageId: `<${prefix}-${i}@remote.test>`,
      eol: i % 2 === 0 ? '\r\n' : '\n',
      // Message 1 is larger than the POP3 server's first read (64 KB): the rest is read from its offset.
      body: i % 3 === 0 ? `.starts with a dot\n..two\nplain ${'x'.repeat(i * 500)}\n.\nend\n` : i === 1 ? `${'long line of text\n'.repeat(5000)}.\nend\n` : `body ${i}\n`,
    }),
  );

describe('POP3 with Python poplib', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    await deliverBatch(h.ctx.pipeline, 'bob@example.test', mixed('py', 4));
  });
  after(() => h.close());

  /** Logs in (pop3s, or STLS on the plain port), downloads the UIDLs not in `known`, keeps mail on the server. */
  const script = `
import poplib, ssl, sys, json, os
port, mode, outdir, known = int(sys.argv[1]), sys.argv[2], sys.argv[3], set(json.loads(sys.argv[4]))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'pop3s':
    p = poplib.POP3_SSL('127.0.0.1', port, context=ctx)
else:
    p = poplib.POP3('127.0.0.1', port); p.stls(context=ctx)
p.user('bob'); p.pass_('bobpw')
caps = p.capa()
uidls = {}
for line in p.uidl()[1]:
    n, u = line.decode().split(' ')
    uidls[u] = int(n)
sizes = {int(l.split()[0]): int(l.split()[1]) for l in p.list()[1]}
fetched = []
for u, n in uidls.items():
    if u in known: continue
    resp, lines, octets = p.retr(n)
    data = b'\\r\\n'.join(lines) + b'\\r\\n'
    open(os.path.join(outdir, u), 'wb').write(data)
    fetched.append({'uidl': u, 'listed': sizes[n], 'received': len(data)})
top = p.top(1, 0)[1]
p.quit()
print(json.dumps({'uidls': list(uidls), 'fetched': fetched, 'caps': sorted(caps), 'topLines': len(top)}))
`;
  const runPoplib = async (port: number, mode: string, outdir: string, known: string[]) => {
    const { stdout } = await exec('python3', ['-c', script, String(port), mode, outdir, JSON.stringify(known)]);
    return JSON.parse(stdout) as { uidls: string[]; fetched: Array<{ uidl: string; listed: number; received: number }>; caps: string[]; topLines: number };
  };

  it('leaves mail on the server; after new mail arrives, only the new UIDLs are new', async () => {
    const dir = await tempDir('postroom-poplib-');
    const first = await runPoplib(h.tlsPort, 'pop3s', dir, []);
    assert.equal(first.fetched.length, 4);
    assert.ok(first.caps.includes('UIDL') && first.caps.includes('PIPELINING'));
    assert.ok(first.topLines > 3);
    const expected = await expectedByUidl(h, 'bob');
    for (const f of first.fetched) {
      assert.deepEqual(await readFile(path.join(dir, f.uidl)), expected.get(f.uidl), f.uidl);
      assert.equal(f.received, f.listed, `LIST size of ${f.uidl}`);
    }
    for (const m of mixed('py-new', 2)) await h.deliver('bob@example.test', m);
    const second = await runPoplib(h.port, 'stls', dir, first.uidls);
    assert.deepEqual(second.uidls.slice(0, 4), first.uidls, 'old UIDLs unchanged and first');
    const after = await expectedByUidl(h, 'bob');
    const fresh = [...after.keys()].filter((u) => !first.uidls.includes(u));
    assert.equal(fresh.length, 2);
    assert.deepEqual(second.fetched.map((f) => f.uidl), fresh);
    for (const u of fresh) assert.deepEqual(await readFile(path.join(dir, u)), after.get(u));
  });
});

describe('POP3 with fetchmail', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    await deliverBatch(h.ctx.pipeline, 'jane@example.test', mixed('fm', 5, 'jane@example.test'));
  });
  after(() => h.close());

  const fetch = async (home: string, outdir: string, keep: boolean) => {
    const rc = path.join(home, 'fetchmailrc');
    await writeFile(
      rc,
      // invisible: no Received line of fetchmail's own, so the files can be compared byte for byte.
      `set no syslog
set invisible
poll 127.0.0.1 protocol pop3 port ${h.port} uidl
  user "jane@example.test" password "janepw" is "root" here
  sslproto '' ${keep ? 'keep' : 'no keep fetchall'} no rewrite no stripcr
  mda "cat > ${outdir}/msg.$$"
`,
    );
    await chmod(rc, 0o600);
    return exec('fetchmail', ['-f', rc, '-i', path.join(home, 'ids'), '--nosyslog'], { env: { ...process.env, FETCHMAILHOME: home, HOME: home } }).catch(
      (e: { code: number; stdout: string; stderr: string }) => {
        // Exit status 1 means "no new mail": a normal outcome here.
        if (e.code === 1) return { stdout: e.stdout, stderr: e.stderr };
        throw new Error(`fetchmail failed (${e.code}): ${e.stderr}`);
      },
    );
  };
  const contents = async (dir: string) => Promise.all((await readdir(dir)).map((f) => readFile(path.join(dir, f))));
  const sortBuffers = (bs: Buffer[]) => bs.map((b) => b.toString('latin1')).sort();

  it('downloads the mailbox byte for byte, then only new mail (UIDL), then deletes when told to', async () => {
    const home = await tempDir('postroom-fetchmail-');
    const first = path.join(home, 'first');
    const second = path.join(home, 'second');
    await mkdir(first);
    await mkdir(second);
    await fetch(home, first, true);
    const expected = await expectedByUidl(h, 'jane');
    assert.deepEqual(sortBuffers(await contents(first)), sortBuffers([...expected.values()]));

    for (const m of mixed('fm-new', 2, 'jane@example.test')) await h.deliver('jane@example.test', m);
    await fetch(home, second, true);
    const now = await expectedByUidl(h, 'jane');
    const fresh = [...now.entries()].filter(([u]) => !expected.has(u)).map(([, b]) => b);
    assert.equal(fresh.length, 2);
    assert.deepEqual(sortBuffers(await contents(second)), sortBuffers(fresh));
    assert.equal((await h.ctx.store.maildrops.snapshot('jane')).messages.length, 7, 'keep left everything on the server');

    const third = path.join(home, 'third');
    await mkdir(third);
    await fetch(home, third, false);
    assert.deepEqual(sortBuffers(await contents(third)), sortBuffers([...now.values()]));
    assert.equal((await h.ctx.store.maildrops.snapshot('jane')).messages.length, 0, 'no keep: deleted at QUIT');
  });
});

describe('POP3 with curl', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    await deliverBatch(h.ctx.pipeline, 'bob@example.test', mixed('curl', 3));
  });
  after(() => h.close());
  const curl = async (...args: string[]) => (await exec('curl', ['-sS', '--max-time', '20', '-u', 'bob:bobpw', ...args], { encoding: 'buffer' })).stdout;

  it('lists, reads UIDLs and retrieves messages over pop3://, STLS and pop3s://', async () => {
    const expected = [...(await expectedByUidl(h, 'bob')).entries()];
    const listing = (await curl(`pop3://127.0.0.1:${h.port}/`)).toString();
    const sizes = listing.trim().split('\r\n').map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(sizes, expected.map(([, b]) => b.length));
    const uidl = (await curl('-X', 'UIDL', `pop3://127.0.0.1:${h.port}/`)).toString();
    assert.deepEqual(uidl.trim().split('\r\n').map((l) => l.split(' ')[1]), expected.map(([u]) => u));
    assert.deepEqual(await curl(`pop3://127.0.0.1:${h.port}/1`), expected[0]![1]);
    assert.deepEqual(await curl('--ssl-reqd', '-k', `pop3://127.0.0.1:${h.port}/3`), expected[2]![1]);
    assert.deepEqual(await curl('-k', `pop3s://127.0.0.1:${h.tlsPort}/2`), expected[1]![1]);
  });
});
