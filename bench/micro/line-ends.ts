// The body hash's line-end compaction (src/pipeline/line-ends.ts), WebAssembly SIMD against the
// JavaScript engine, in 64 KB chunks of a 1.5 MB body (in cache, as a chunk just read from a
// socket is), best of 7 rounds of 100 bodies; a body of base64 lines (most of the bytes of
// real mail) and one of 30-byte text lines (docs/benchmarks.md, results of 2026-11-29 09:08).
//   node --import tsx bench/micro/line-ends.ts
import { lineEnds, useLineEndsEngine } from '../../src/pipeline/line-ends.js';

const bodies = {
  'base64 lines': Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n'),
  'short lines': Buffer.from('a short line of text, 30 b.\r\n'),
};
for (const [name, line] of Object.entries(bodies)) {
  const body = Buffer.concat(Array.from({ length: Math.ceil(1.5e6 / line.length) }, () => line));
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += 65536) chunks.push(body.subarray(at, Math.min(body.length, at + 65536)));
  const results: string[] = [];
  for (const engine of ['js', 'simd'] as const) {
    if (!useLineEndsEngine(engine)) throw new Error(`no ${engine} engine here`);
    let best = Infinity;
    for (let round = 0; round < 7; round++) {
      const t = performance.now();
      for (let k = 0; k < 100; k++) for (const c of chunks) lineEnds().compact(c, false, false);
      best = Math.min(best, performance.now() - t);
    }
    results.push(`${engine} ${(best / ((100 * body.length) / 1e9)).toFixed(0)} ms per GB`);
  }
  console.log(`${name}: ${results.join(', ')}`);
}
