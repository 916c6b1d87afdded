/** A 50 MB message is collected by the real `postroom collect` process with peak RSS under 100 MB. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startFakePop3 } from '../fixtures/fake-pop3-server.js';
import { tempDir } from '../helpers/context.js';
import { bundledCli } from '../helpers/bundle.js';
import { run, spawnArgs } from '../helpers/cli.js';
import { collectorYaml, office } from './helpers.js';

function bigMessage(bytes: number): Buffer {
  const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n';
  const head = 'From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: Fifty megabytes\r\nMessage-ID: <big@remote.test>\r\n\r\n';
  return Buffer.from(head + line.repeat(Math.ceil(bytes / line.length)));
}

async function peakRssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

describe('collector memory', () => {
  it('collects a 50 MB message with peak RSS under 100 MB (the bundle, as npm start runs it)', async () => {
    // The bundle is what `npm start` and bin/postroom.js run; tsx's in-process compiler alone would take 30 MB.
    const bundle = await bundledCli();
    const message = bigMessage(50 * 1024 * 1024);
    const server = await startFakePop3({ messages: [message], users: { isp: 'pw' } });
    const data = await tempDir('postroom-mem-');
    try {
      const file = path.join(data, 'c.yaml');
      await writeFile(file, office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: server.port, user: 'isp', password: 'pw', routing: { mode: 'user', target: 'bob' } }));
      assert.equal((await run(data, ['config', 'apply', file])).code, 0);
      // As bin/postroom.js runs it (same V8 flag).
      const [argv, env] = spawnArgs(data, ['collect'], { bundle });
      const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      let peak = 0;
      let done = false;
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => ((done = true), r(code))));
      while (!done) {
        peak = Math.max(peak, await peakRssOf(child.pid!));
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(await exited, 0, out);
      assert.match(out, /1 downloaded, 1 delivered/);
      assert.equal(server.messages.length, 0);
      assert.ok(peak > 20, `RSS was measured (${peak.toFixed(0)} MB)`);
      assert.ok(peak < 100, `peak RSS ${peak.toFixed(0)} MB`);
      console.log(`# collect of a 50 MB message: peak RSS ${peak.toFixed(0)} MB`);
    } finally {
      await server.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});
