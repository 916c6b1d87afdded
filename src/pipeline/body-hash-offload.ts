/**
 * Hashes large message bodies on a worker thread instead of the event loop.
 *
 * The body scan (CRLF normalization, bare-LF count, sha256: body-hasher.ts) was the largest part
 * of a collector's event-loop time that is not I/O (docs/benchmarks.md, "the floor"): about 0.7 s
 * per GB. For a message known to be large (a collector knows each size from LIST before it
 * downloads), the scanner copies the body's chunks into a shared ring (hash-ring.ts) and a worker
 * hashes them, in parallel with the download; the digest comes back by postMessage. Small
 * messages, most of them, are still hashed on the event loop: a round trip to the worker would
 * cost them more than their hash.
 *
 * One worker per process, started at the first large message. If it fails, every pending digest
 * rejects (those messages fail before they are stored, so nothing is deleted remotely and the next
 * session downloads them again) and later scans run on the event loop.
 */
import { Worker } from 'node:worker_threads';
import { allocateRing, DROP, FINISH, MAX_RECORD_DATA, OPEN, OPEN_AFTER_CR, RingWriter, type RingMemory } from './hash-ring.js';

/** Messages at least this large (by the size the source announced) are hashed on the worker. */
export const OFFLOAD_MIN_BYTES = 128 * 1024;

export interface BodyDigest {
  digest: string;
  bareLf: number;
}

/** One body being hashed on the worker. Call `update` in order, then `result` or `drop` once. */
export interface RemoteBodyHash {
  /** Copies the chunk to the worker; a promise when the ring is full (await it: it bounds memory). */
  update(chunk: Buffer): Promise<void> | undefined;
  result(): Promise<BodyDigest>;
  /** Forgets the stream (the message failed). */
  drop(): void;
}

interface Queued {
  id: number;
  code: number;
  data?: Buffer;
}

class BodyHashWorker {
  private readonly worker: Worker;
  private readonly ring: RingWriter;
  private nextId = 1;
  /** Streams opened and not yet finished or dropped: the worker keeps the process alive while any is. */
  private open = 0;
  private readonly waiting = new Map<number, { resolve: (d: BodyDigest) => void; reject: (e: Error) => void }>();
  /** Records that did not fit in the ring, in order; `drain` writes them as space frees. */
  private queue: Queued[] = [];
  private draining: Promise<void> | null = null;
  failure: Error | null = null;

  constructor() {
    const memory = allocateRing();
    this.ring = new RingWriter(memory);
    this.worker = startWorker(memory);
    this.worker.unref();
    this.worker.on('message', (m: { id: number } & BodyDigest) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      this.closed();
      w?.resolve({ digest: m.digest, bareLf: m.bareLf });
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the body-hash worker exited (code ${code})`)));
  }

  openStream(afterCr: boolean): RemoteBodyHash {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) | 0 || 1;
    if (this.open++ === 0) this.worker.ref();
    void this.put({ id, code: afterCr ? OPEN_AFTER_CR : OPEN })?.catch(() => undefined);
    let ended = false;
    return {
      update: (chunk) => {
        let wait: Promise<void> | undefined;
        // Once one piece is queued, the rest queue behind it: the last piece's promise covers all.
        for (let at = 0; at < chunk.length; at += MAX_RECORD_DATA) {
          const piece = chunk.subarray(at, Math.min(chunk.length, at + MAX_RECORD_DATA));
          wait = this.put({ id, code: piece.length, data: piece });
        }
        return wait;
      },
      result: () => {
        if (ended) return Promise.reject(new Error('body hash already finished'));
        ended = true;
        if (this.failure) return Promise.reject(this.failure);
        return new Promise<BodyDigest>((resolve, reject) => {
          this.waiting.set(id, { resolve, reject });
          this.put({ id, code: FINISH })?.catch(reject);
        });
      },
      drop: () => {
        if (ended) return;
        ended = true;
        if (this.failure) return;
        this.closed();
        void this.put({ id, code: DROP })?.catch(() => undefined);
      },
    };
  }

  /** Writes a record now if it fits and nothing is queued before it; else queues it and returns the drain. */
  private put(record: Queued): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length === 0 && this.ring.tryPut(record.id, record.code, record.data)) return undefined;
    // Copied: the caller may reuse its buffer once update returns.
    this.queue.push(record.data ? { ...record, data: Buffer.from(record.data) } : record);
    return (this.draining ??= this.drain());
  }

  private async drain(): Promise<void> {
    // Let `this.draining` be set before anything below can clear it.
    await null;
    try {
      while (this.queue.length > 0) {
        if (this.failure) throw this.failure;
        const r = this.queue[0]!;
        if (this.ring.tryPut(r.id, r.code, r.data)) this.queue.shift();
        else await this.ring.spaceFreed();
      }
    } finally {
      this.draining = null;
    }
  }

  private closed(): void {
    if (--this.open === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = new Error(`hashing a message body failed: ${err.message}`, { cause: err });
    this.queue = [];
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.open = 0;
    this.worker.unref();
  }

  /** Stops the worker (tests); pending digests reject. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * The worker runs body-hash-worker.ts beside this file. Under tsx (tests, `npm run bench`) that
 * file is TypeScript, and tsx's loader is not inherited by worker threads: the worker registers it
 * first. The built server (dist/) loads plain JavaScript. A failed import is an unhandled
 * rejection in the worker, which ends it with an 'error' event.
 */
function startWorker(memory: RingMemory): Worker {
  const typescript = import.meta.url.endsWith('.ts');
  const entry = new URL(`./body-hash-worker.${typescript ? 'ts' : 'js'}`, import.meta.url).href;
  const source = typescript
    ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`
    : `import(${JSON.stringify(entry)});`;
  return new Worker(source, { eval: true, workerData: memory, name: 'postroom body hash' });
}

let shared: BodyHashWorker | null = null;

/** A stream on the process's worker (started now if need be), or null when it has failed: hash locally. */
export function openRemoteBodyHash(afterCr: boolean): RemoteBodyHash | null {
  shared ??= new BodyHashWorker();
  if (shared.failure) return null;
  return shared.openStream(afterCr);
}

/** Stops the process's worker; the next large message starts a new one. For tests. */
export async function stopBodyHashWorker(): Promise<void> {
  const w = shared;
  shared = null;
  await w?.stop();
}
