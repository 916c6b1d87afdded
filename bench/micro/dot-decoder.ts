// The POP3 dot decoder over ~1.5 MB bodies in 64 KB chunks, best of 7 rounds of 100 bodies, for three
// kinds of lines: base64 (no dots: most of a large message's bytes), prose with a dot every ~20
// bytes, and every line stuffed (each starts with "..") (docs/benchmarks.md).
//   node --import tsx bench/micro/dot-decoder.ts
import { DotDecoder } from '../../src/collect/pop3-client/dot-decoder.js';

const kinds = {
  base64: 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n',
  'prose, many dots': 'See p. 3. It is 1.5 km. Mr. X. went to www.example.com. Then e.g. Y. left.\r\n',
  'every line stuffed': '..a line that began with a dot, as in a diff or a signature separator\r\n',
};
for (const [kind, text] of Object.entries(kinds)) {
  const line = Buffer.from(text);
  const wire = Buffer.concat([...Array.from({ length: Math.ceil(1.5e6 / line.length) }, () => line), Buffer.from('.\r\n')]);
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
  console.log(`${kind}: ${(best / ((100 * wire.length) / 1e9)).toFixed(0)} ms per GB`);
}
