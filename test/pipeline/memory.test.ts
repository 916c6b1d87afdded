import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { officeYaml, testContext } from '../helpers/context.js';

/** A 50 MB message produced 64 KB at a time, never existing whole anywhere in this process. */
async function* bigMessage(totalBytes: number): AsyncGenerator<Buffer> {
  yield Buffer.from('From: a@remote.test\r\nTo: bob@example.test\r\nSubject: big\r\nMessage-ID: <big@remote.test>\r\n\r\n');
  const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n');
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / line.length) }, () => line));
  for (let sent = 0; sent < totalBytes; sent += chunk.length) {
    yield Buffer.from(chunk); // a fresh buffer each time, as a socket would hand over
  }
}

describe('pipeline memory', () => {
  it('streams a 50 MB message without holding it in memory', async () => {
    const ctx = await testContext(officeYaml);
    try {
      global.gc?.();
      const before = process.memoryUsage();
      let peak = 0;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
      }, 5);
      const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: 'test' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: bigMessage(50 * 1024 * 1024) });
      clearInterval(sampler);
      assert.equal(r.results[0]!.outcome, 'delivered');
      assert.ok((await stat(ctx.blobs.pathOf(r.blob))).size > 50 * 1024 * 1024);
      // Holding the message would need 50 MB or more; garbage not yet collected stays well below.
      assert.ok(peak < 40 * 1024 * 1024, `heap + buffers grew by ${(peak / 1048576).toFixed(1)} MB`);
    } finally {
      await ctx.cleanup();
    }
  });
});
