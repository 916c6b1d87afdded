import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LINE_ENDS_WASM } from '../../src/pipeline/line-ends-wasm.js';
import { lineEnds, lineEndsEngine, useLineEndsEngine, type LineEndsEngine } from '../../src/pipeline/line-ends.js';
import { compileWat, embedding, OUTPUT } from '../../tools/build-wasm.js';

/** The rule, on a string: the data copied (with a CR first, without its last byte), CRLF read as LF. */
function reference(chunk: Buffer, leadingCr: boolean, dropLast: boolean) {
  let data = (leadingCr ? '\r' : '') + chunk.toString('latin1');
  if (dropLast) data = data.slice(0, -1);
  return {
    bytes: Buffer.from(data.replace(/\r\n/g, '\n'), 'latin1'),
    lfs: data.split('\n').length - 1,
    crlfs: data.split('\r\n').length - 1,
  };
}

function compactWith(engine: LineEndsEngine, chunk: Buffer, leadingCr: boolean, dropLast: boolean) {
  assert.ok(useLineEndsEngine(engine), `${engine} engine available`);
  try {
    const c = lineEnds();
    const bytes = Buffer.from(c.compact(chunk, leadingCr, dropLast));
    return { bytes, lfs: c.lfs, crlfs: c.crlfs };
  } finally {
    useLineEndsEngine('simd');
  }
}

describe('line-end compaction (the body hash normalization)', () => {
  it('embeds the WebAssembly compiled from line-ends.wat (run `npm run build:wasm` after editing it)', async () => {
    const bytes = await compileWat();
    assert.ok(bytes.equals(LINE_ENDS_WASM), 'src/pipeline/line-ends-wasm.ts is out of date');
    assert.equal(readFileSync(OUTPUT, 'utf8'), embedding(bytes));
  });

  it('runs on WebAssembly SIMD on this Node (the JavaScript engine is only a fallback)', () => {
    assert.equal(lineEndsEngine(), 'simd');
  });

  it('drops the CR of each CRLF wherever it falls against the 16-byte blocks, on both engines', () => {
    // A CRLF (and a CR, an LF, a CR CR LF) at every offset of bodies up to 80 bytes: the block
    // loop, the look-ahead across blocks, both halves of the shuffle, and the byte-by-byte tail.
    for (const mark of ['\r\n', '\r', '\n', '\r\r\n', '\n\r']) {
      for (let len = 0; len <= 80; len++) {
        for (let at = 0; at + mark.length <= len; at++) {
          const chunk = Buffer.from('x'.repeat(at) + mark + 'y'.repeat(len - at - mark.length), 'latin1');
          for (const [leadingCr, dropLast] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            if (dropLast && chunk.length === 0) continue;
            const want = reference(chunk, leadingCr, dropLast);
            for (const engine of ['simd', 'js'] as const) {
              assert.deepEqual(compactWith(engine, chunk, leadingCr, dropLast), want, `${engine}: ${JSON.stringify(chunk.toString('latin1'))} ${leadingCr} ${dropLast}`);
            }
          }
        }
      }
    }
  });

  it('agrees with the rule on random chunks dense in CR and LF, small and large', () => {
    let seed = 11;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const alphabet = Buffer.from('\r\n\r\nab\r.\n\x00\xff', 'latin1');
    for (let round = 0; round < 400; round++) {
      const len = round < 300 ? rand(200) : 60_000 + rand(200_000); // the large ones grow the memory
      const chunk = Buffer.alloc(len);
      for (let i = 0; i < len; i++) chunk[i] = alphabet[rand(alphabet.length)] as number;
      const leadingCr = rand(2) === 1;
      const dropLast = len > 0 && rand(2) === 1;
      const want = reference(chunk, leadingCr, dropLast);
      for (const engine of ['simd', 'js'] as const) {
        const got = compactWith(engine, chunk, leadingCr, dropLast);
        assert.ok(got.bytes.equals(want.bytes), `round ${round} (${len} bytes), ${engine}: bytes differ`);
        assert.deepEqual([got.lfs, got.crlfs], [want.lfs, want.crlfs], `round ${round}, ${engine}: counts`);
      }
    }
  });
});
