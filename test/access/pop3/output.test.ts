/** OutputBuffer: reading into a block's read room and copying from there, and blocks reused across idle periods. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK, OutputBuffer } from '../../../src/access/pop3/output.js';

const ROOM = 64 * 1024;

/** Everything queued, as the socket would get it. */
function written(out: OutputBuffer): Buffer {
  const { chunks } = out.take();
  for (const c of chunks) assert.ok(c.length <= BLOCK, `a chunk of ${c.length} octets: the read room must never be written`);
  return Buffer.concat(chunks);
}

describe('OutputBuffer with a read room', () => {
  it('copies lines from its read room into its output, across the end of a block, byte for byte', () => {
    const out = new OutputBuffer(ROOM);
    const expected: Buffer[] = [];
    out.appendText('+OK\r\n');
    expected.push(Buffer.from('+OK\r\n'));
    for (let round = 0; round < 8; round++) {
      const space = out.readSpace();
      assert.equal(space.length, ROOM);
      const text = Buffer.from(Array.from({ length: 900 }, (_, i) => `round ${round} line ${i} ${'y'.repeat(i % 50)}\n`).join(''), 'latin1');
      const data = space.subarray(0, Math.min(ROOM, text.length));
      text.copy(data);
      // Line by line with a CRLF between, as the wire encoder does with bare LF.
      let start = 0;
      for (let lf = data.indexOf(10); lf !== -1; lf = data.indexOf(10, start)) {
        out.append(data, start, lf);
        out.append(Buffer.from('\r\n'), 0, 2);
        expected.push(data.subarray(start, lf), Buffer.from('\r\n'));
        start = lf + 1;
      }
      expected.push(data.subarray(start));
      out.append(data, start, data.length);
      // The read data must be taken as it was before the next read overwrites the room.
      expected.splice(0, expected.length, Buffer.concat(expected));
    }
    assert.ok(out.size > 3 * BLOCK, 'several blocks filled');
    assert.ok(written(out).equals(expected[0]!));
  });

  it('a connection that went idle gives its blocks to the next one instead of dropping them', () => {
    const a = new OutputBuffer(ROOM);
    const spaceA = a.readSpace();
    a.recycle(a.take().blocks);
    a.release();
    const b = new OutputBuffer(ROOM);
    assert.equal(b.readSpace().buffer, spaceA.buffer, 'the same block, from the idle list');
    // Another block size (IMAP's, without read room) has its own list.
    const c = new OutputBuffer();
    c.appendText('x');
    assert.notEqual(c.take().blocks[0]!.buffer, spaceA.buffer);
  });
});
