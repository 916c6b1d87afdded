/**
 * The line-end half of the body hash's normalization (scan.ts): drop the CR of every CRLF in a
 * chunk, and count its LFs and CRLFs (the difference is the bare LFs, which take one more octet
 * each on the wire). It runs on every byte of every message collected, received or imported.
 *
 * Two engines with one rule: WebAssembly SIMD (line-ends.wat, 16 bytes per step, about 4× faster
 * than the JavaScript on base64 lines: it was ~10 % of a collector's CPU), and the JavaScript
 * below, used where WebAssembly is unavailable (`node --jitless`) and as the tests' reference.
 */
import { LINE_ENDS_WASM } from './line-ends-wasm.js';

const LF = 10;
const CR = 13;

export type LineEndsEngine = 'simd' | 'js';

/** What the last `compact` found in its data: every LF, and the CRLFs whose CR it dropped. */
export interface LineEndCounts {
  lfs: number;
  crlfs: number;
}

interface Compactor extends LineEndCounts {
  /**
   * Copies `chunk` (after a CR when `leadingCr`; without its last byte when `dropLast`) and drops
   * the CR of each CRLF in what was copied (a CR last in it is kept). The result is valid until
   * the next call.
   */
  compact(chunk: Buffer, leadingCr: boolean, dropLast: boolean): Buffer;
}

class JsCompactor implements Compactor {
  lfs = 0;
  crlfs = 0;
  private area = Buffer.alloc(0);

  compact(chunk: Buffer, leadingCr: boolean, dropLast: boolean): Buffer {
    const base = leadingCr ? 1 : 0;
    const len = base + chunk.length - (dropLast ? 1 : 0);
    if (this.area.length < base + chunk.length) this.area = Buffer.allocUnsafeSlow(Math.max(base + chunk.length, 64 * 1024));
    const out = this.area;
    if (leadingCr) out[0] = CR;
    out.set(chunk, base);
    const data = out.subarray(0, len);
    // The gap left by each CRLF's CR is closed in place (copyWithin): no Buffer per line.
    let lfs = 0;
    let crlfs = 0;
    let w = 0; // end of the compacted bytes
    let seg = 0; // start of the bytes not yet moved down to w
    for (let lf = data.indexOf(LF); lf !== -1; lf = data.indexOf(LF, lf + 1)) {
      lfs++;
      if (lf > 0 && data[lf - 1] === CR) {
        crlfs++;
        data.copyWithin(w, seg, lf - 1);
        w += lf - 1 - seg;
        seg = lf;
      }
    }
    if (seg < len) {
      data.copyWithin(w, seg, len);
      w += len - seg;
    }
    this.lfs = lfs;
    this.crlfs = crlfs;
    return data.subarray(0, w);
  }
}

/** Where line-ends.wat's data starts: after its two 2 KB shuffle tables. */
const DATA = 4096;
/** Room the .wat needs after the data (look-ahead loads, 8-byte stores). */
const SLACK = 32;

class SimdCompactor implements Compactor {
  lfs = 0;
  crlfs = 0;
  private readonly exports: {
    memory: WebAssembly.Memory;
    lfs: WebAssembly.Global;
    crlfs: WebAssembly.Global;
    compact(len: number): number;
  };
  private bytes: Buffer;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module).exports as SimdCompactor['exports'];
    this.bytes = Buffer.from(this.exports.memory.buffer);
    // For each mask of bytes to drop from a half block, the indices of the bytes kept, in order
    // (0x80: a lane swizzle leaves zero, stored past the kept bytes and overwritten next).
    for (let mask = 0; mask < 256; mask++) {
      let k = 0;
      for (let j = 0; j < 8; j++) {
        if ((mask >> j) & 1) continue;
        this.bytes[mask * 8 + k] = j;
        this.bytes[2048 + mask * 8 + k] = j + 8;
        k++;
      }
      this.bytes.fill(0x80, mask * 8 + k, mask * 8 + 8);
      this.bytes.fill(0x80, 2048 + mask * 8 + k, 2048 + mask * 8 + 8);
    }
  }

  compact(chunk: Buffer, leadingCr: boolean, dropLast: boolean): Buffer {
    const base = leadingCr ? 1 : 0;
    const need = DATA + base + chunk.length + SLACK;
    if (this.bytes.length < need) {
      this.exports.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      this.bytes = Buffer.from(this.exports.memory.buffer);
    }
    if (leadingCr) this.bytes[DATA] = CR;
    this.bytes.set(chunk, DATA + base);
    const w = this.exports.compact(base + chunk.length - (dropLast ? 1 : 0));
    this.lfs = this.exports.lfs.value as number;
    this.crlfs = this.exports.crlfs.value as number;
    return this.bytes.subarray(DATA, DATA + w);
  }
}

/** The SIMD engine where this runtime has WebAssembly with SIMD, else the JavaScript one. */
function simdOrNull(): Compactor | null {
  try {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(LINE_ENDS_WASM)) return null;
    return new SimdCompactor(new WebAssembly.Module(LINE_ENDS_WASM));
  } catch {
    return null;
  }
}

const simd = simdOrNull();
const js = new JsCompactor();
let current: Compactor = simd ?? js;

/** The engine in use (the scanner shares one: `compact`'s result is used before the next call). */
export function lineEnds(): Compactor {
  return current;
}

export function lineEndsEngine(): LineEndsEngine {
  return current === simd ? 'simd' : 'js';
}

/** For tests: run on the given engine. Returns false (and changes nothing) if it is unavailable. */
export function useLineEndsEngine(engine: LineEndsEngine): boolean {
  if (engine === 'simd' && !simd) return false;
  current = engine === 'simd' ? (simd as Compactor) : js;
  return true;
}
