/**
 * The channel between the event loop and the body-hashing worker (body-hash-offload.ts): a ring of
 * records in a SharedArrayBuffer, one writer (the event loop) and one reader (the worker). A
 * postMessage per chunk would cost the event loop more than hashing the chunk itself; a record
 * costs one copy and an Atomics store.
 *
 * A record is an 8-byte head, [stream id, code] as two int32, then for a data record `code` bytes
 * of the message, padded to 8 bytes so that every head is aligned and never wraps (the data may).
 * Negative codes carry no data: OPEN / OPEN_AFTER_CR start a stream's hasher, FINISH asks for its
 * digest, DROP forgets it. Positions are byte counters that wrap as int32; the capacity is a power
 * of two, so a position's place in the ring is `pos & MASK`.
 */
export const CAPACITY = 4 * 1024 * 1024;
const MASK = CAPACITY - 1;
/** Larger chunks are written as several records, so that one record never needs most of the ring. */
export const MAX_RECORD_DATA = 1024 * 1024;

export const OPEN = -1;
export const OPEN_AFTER_CR = -2;
export const FINISH = -3;
export const DROP = -4;

/** Indexes in the control array: the writer's position and the reader's. */
const WRITE = 0;
const READ = 1;

export interface RingMemory {
  /** Two int32: WRITE, READ. */
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function allocateRing(): RingMemory {
  return { control: new SharedArrayBuffer(8), data: new SharedArrayBuffer(CAPACITY) };
}

const recordBytes = (dataLength: number) => 8 + ((dataLength + 7) & ~7);

export class RingWriter {
  private readonly control: Int32Array;
  private readonly bytes: Buffer;
  private readonly words: Int32Array;
  private position: number;

  constructor(memory: RingMemory) {
    this.control = new Int32Array(memory.control);
    this.bytes = Buffer.from(memory.data);
    this.words = new Int32Array(memory.data);
    this.position = Atomics.load(this.control, WRITE);
  }

  /**
   * Writes one record if it fits now (false if the reader has not freed enough space yet). A data
   * record is `code` = its length with `data`; a control record a negative code without data.
   */
  tryPut(id: number, code: number, data?: Uint8Array): boolean {
    const length = data ? data.length : 0;
    const size = recordBytes(length);
    const used = (this.position - Atomics.load(this.control, READ)) | 0;
    if (CAPACITY - used < size) return false;
    const at = this.position & MASK;
    this.words[at >> 2] = id;
    this.words[(at >> 2) + 1] = data ? length : code;
    if (data && length > 0) {
      const start = (at + 8) & MASK;
      const first = Math.min(length, CAPACITY - start);
      this.bytes.set(first === length ? data : data.subarray(0, first), start);
      if (first < length) this.bytes.set(data.subarray(first), 0);
    }
    this.position = (this.position + size) | 0;
    // Atomics order the plain writes above before this store, for the reader that loads it.
    Atomics.store(this.control, WRITE, this.position);
    Atomics.notify(this.control, WRITE);
    return true;
  }

  /** Resolves once the reader has moved on (or after a while, so that the caller looks again). */
  spaceFreed(): Promise<unknown> {
    const read = Atomics.load(this.control, READ);
    const wait = Atomics.waitAsync(this.control, READ, read, 1000);
    return wait.async ? wait.value : Promise.resolve();
  }
}

/**
 * The reader's loop, for the worker: hands each record to `handle` (a data record as one or two
 * pieces, when it wraps) and frees its space after. Blocks between records; never returns.
 */
export function readRing(memory: RingMemory, handle: (id: number, code: number, first: Buffer | null, second: Buffer | null) => void): never {
  const control = new Int32Array(memory.control);
  const bytes = Buffer.from(memory.data);
  const words = new Int32Array(memory.data);
  let position = Atomics.load(control, READ);
  for (;;) {
    const end = Atomics.load(control, WRITE);
    if (end === position) {
      // The timeout only bounds the wait; a terminated worker is woken by V8 anyway.
      Atomics.wait(control, WRITE, position, 1000);
      continue;
    }
    while (position !== end) {
      const at = position & MASK;
      const id = words[at >> 2]!;
      const code = words[(at >> 2) + 1]!;
      if (code >= 0) {
        const start = (at + 8) & MASK;
        const first = Math.min(code, CAPACITY - start);
        handle(id, code, bytes.subarray(start, start + first), first < code ? bytes.subarray(0, code - first) : null);
      } else {
        handle(id, code, null, null);
      }
      position = (position + recordBytes(Math.max(code, 0))) | 0;
      Atomics.store(control, READ, position);
      Atomics.notify(control, READ);
    }
  }
}
