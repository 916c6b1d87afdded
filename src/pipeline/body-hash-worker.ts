/**
 * The body-hashing worker thread (started by body-hash-offload.ts): runs BodyHasher for each
 * stream the ring carries and posts `{ id, digest, bareLf }` when a stream is finished.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BodyHasher } from './body-hasher.js';
import { DROP, FINISH, OPEN, OPEN_AFTER_CR, readRing, type RingMemory } from './hash-ring.js';

const hashers = new Map<number, BodyHasher>();

function hasher(id: number): BodyHasher {
  const h = hashers.get(id);
  // A protocol error: crashing the worker fails every pending digest, and later scans run locally.
  if (!h) throw new Error(`body-hash worker: no open stream ${id}`);
  return h;
}

readRing(workerData as RingMemory, (id, code, first, second) => {
  if (code === OPEN || code === OPEN_AFTER_CR) {
    hashers.set(id, new BodyHasher(code === OPEN_AFTER_CR));
  } else if (code === FINISH) {
    const h = hasher(id);
    hashers.delete(id);
    parentPort!.postMessage({ id, digest: h.digest(), bareLf: h.bareLf });
  } else if (code === DROP) {
    hashers.delete(id);
  } else {
    const h = hasher(id);
    h.update(first!);
    if (second) h.update(second);
  }
});
