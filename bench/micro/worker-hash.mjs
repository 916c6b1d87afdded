// A design probe for taking the body hash off the event loop (docs/benchmarks.md, "Where the cost
// is"): 1 GB in 64 KB chunks hashed (a) on the main thread, (b) in a worker thread fed through a
// SharedArrayBuffer ring (one copy per chunk, Atomics to signal; a postMessage per chunk would cost
// more). Reports the main thread's time in hashing or copying, the wall time and the CPU used.
//   node bench/micro/worker-hash.mjs main
//   node bench/micro/worker-hash.mjs worker
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
const RING = 4 << 20, CHUNK = 65536, TOTAL = 1 << 30;
if (!isMainThread) {
  const { sab, ctl } = workerData;
  const ring = Buffer.from(sab); const c = new Int32Array(ctl);
  let h = createHash('sha256'); let tail = 0;
  for (;;) {
    const head = Atomics.load(c, 0);
    if (head === tail) { if (Atomics.load(c, 2) === 1) break; Atomics.wait(c, 0, head, 50); continue; }
    const start = tail % RING, len = Math.min(head - tail, RING - start);
    h.update(ring.subarray(start, start + len));
    tail += len; Atomics.store(c, 1, tail); Atomics.notify(c, 1);
  }
  parentPort.postMessage(h.digest('hex'));
} else {
  const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(CHUNK, i));
  const mode = process.argv[2];
  const t0 = performance.now(); let busy = 0;
  if (mode === 'main') {
    const h = createHash('sha256');
    for (let n = 0; n < TOTAL / CHUNK; n++) { const a = performance.now(); h.update(chunks[n % 64]); busy += performance.now() - a; if (n % 16 === 0) await new Promise(setImmediate); }
    console.log('main', h.digest('hex').slice(0, 8));
  } else {
    const sab = new SharedArrayBuffer(RING), ctl = new SharedArrayBuffer(16);
    const ring = Buffer.from(sab), c = new Int32Array(ctl);
    const w = new Worker(new URL(import.meta.url), { workerData: { sab, ctl } });
    const done = new Promise((r) => w.once('message', r));
    let head = 0;
    for (let n = 0; n < TOTAL / CHUNK; n++) {
      while (head + CHUNK - Atomics.load(c, 1) > RING) { const r = Atomics.waitAsync(c, 1, Atomics.load(c, 1), 100); if (r.async) await r.value; }
      const a = performance.now();
      const ch = chunks[n % 64]; const start = head % RING; ch.copy(ring, start); head += CHUNK; Atomics.store(c, 0, head); Atomics.notify(c, 0);
      busy += performance.now() - a;
      if (n % 16 === 0) await new Promise(setImmediate);
    }
    Atomics.store(c, 2, 1); Atomics.notify(c, 0);
    console.log('worker', (await done).slice(0, 8)); await w.terminate();
  }
  console.log(`${mode}: wall ${(performance.now() - t0).toFixed(0)} ms, main thread busy in hash/copy ${busy.toFixed(0)} ms`, process.cpuUsage());
}
