// The POP3 dot decoder over 1.5 MB of base64-like CRLF lines in 64 KB chunks, best of 7 rounds of
// 100 bodies (docs/benchmarks.md, results of 2026-11-29 07:05).
//   node --import tsx bench/micro/dot-decoder.ts
import { DotDecoder } from '../../src/collect/pop3-client/dot-decoder.js';

const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n');
const wire = Buffer.concat([...Array.from({ length: 20000 }, () => line), Buffer.from('.\r\n')]);
const chunks: Buffer[] = [wire.subarray(0, 3)];
for (let at = 3; at < wire.length; at += 65536) chunks.push(wire.subarray(at, Math.min(wire.length, at + 65536)));
let best = Infinity;
for (let round = 0; round < 7; round++) {
  const t = performance.now();
  for (let k = 0; k < 100; k++) {
    const d = new DotDecoder();
    for (const c of chunks) if (d.push(c).rest) break;
  }
  best = Math.min(best, performance.now() - t);
}
console.log(`${(best / ((100 * wire.length) / 1e9)).toFixed(0)} ms per GB`);
