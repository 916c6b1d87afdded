// Why a copy into shared memory must keep the source's alignment (docs/benchmarks.md, results of
// 2026-11-29 07:05): V8 copies into a SharedArrayBuffer a word at a time only when source and target
// sit at the same address modulo 8, else byte by byte. 1 GB in 64 KB pieces, TypedArray.set and
// Buffer.copy, into a SharedArrayBuffer and into an ordinary buffer, with offsets 0 and 3.
//   node bench/micro/sab-copy-alignment.mjs
const sab = Buffer.from(new SharedArrayBuffer(4 << 20));
const ab = Buffer.alloc(4 << 20);
const src = Buffer.alloc(70000, 7);
for (const [name, dst] of [['shared', sab], ['ordinary', ab]]) {
  for (const so of [0, 3]) {
    for (const dOff of [0, 3]) {
      const s = src.subarray(so, so + 65536);
      // Pieces at 64 KB steps through the 4 MB target, shifted by dOff (the last one back by 8 to stay inside).
      const at = (i) => ((i * 65536) & ((4 << 20) - 1)) + dOff - (i % 64 === 63 && dOff ? 8 : 0);
      const t = performance.now();
      for (let i = 0; i < 16384; i++) dst.set(s, at(i));
      const t2 = performance.now();
      for (let i = 0; i < 16384; i++) s.copy(dst, at(i));
      console.log(`${name}: source offset ${so}, target offset ${dOff}: set ${(t2 - t).toFixed(0)} ms/GB, copy ${(performance.now() - t2).toFixed(0)} ms/GB`);
    }
  }
}
