/** The wire encoder and TOP limiter, on every chunking of tricky inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servedSize, TopLimiter, WireEncoder } from '../../../src/access/pop3/wire.js';

/** A reference written independently, on whole strings: CRLF lines, stuffed dots, terminated. */
function reference(input: string, topLines?: number): string {
  let text = input;
  if (topLines !== undefined) {
    const lines = text.split(/(?<=\n)/);
    const blank = lines.findIndex((l) => l === '\n' || l === '\r\n');
    if (blank !== -1) text = lines.slice(0, blank + 1 + topLines).join('');
  }
  // Only LF ends a line (a bare CR does not), so stuff dots at the start or after an LF.
  let out = text.replace(/\r?\n/g, '\r\n').replace(/(^|\n)\./g, '$1..');
  if (out.length > 0 && !out.endsWith('\r\n')) out += '\r\n';
  return out + '.\r\n';
}

function encode(input: Buffer, cuts: number[], topLines?: number): string {
  const enc = new WireEncoder();
  const top = topLines === undefined ? null : new TopLimiter(topLines);
  const out: Buffer[] = [];
  // Copies what it is given, as the connection does.
  const sink = { append: (src: Buffer, start: number, end: number) => out.push(Buffer.from(src.subarray(start, end))) };
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    const chunk = input.subarray(from, cut);
    from = cut;
    enc.encode(top ? top.take(chunk) : chunk, sink);
    if (top?.finished) break;
  }
  enc.finish(sink);
  return Buffer.concat(out).toString('latin1');
}

const inputs = [
  '',
  'a',
  '.',
  '\n',
  '\r\n',
  '.\n.\r\n..\n',
  'Subject: x\r\n\r\nbody\r\n',
  'Subject: x\n\nline1\nline2\n.dot\n',
  'Subject: x\nTo: y\n',
  'Subject: x\r\n\r\nno newline at end',
  'H: 1\r\n\r\n\r\n\r\nafter blank lines\n',
  'H: mixed\r\n\n.\r\nend\r',
  'bare\rCR\r\r\n.\r.\n',
];

describe('WireEncoder', () => {
  for (const input of inputs) {
    it(`encodes ${JSON.stringify(input)} the same whatever the chunking`, () => {
      const buf = Buffer.from(input, 'latin1');
      const expected = reference(input);
      assert.equal(encode(buf, []), expected);
      for (let i = 0; i <= buf.length; i++) assert.equal(encode(buf, [i]), expected, `cut at ${i}`);
      assert.equal(encode(buf, Array.from({ length: buf.length }, (_, i) => i)), expected, 'one byte at a time');
    });
  }

  it('announces the octets it sends before stuffing', () => {
    for (const input of inputs) {
      const buf = Buffer.from(input, 'latin1');
      const wireSize = buf.length + (input.match(/(?<!\r)\n/g) ?? []).length;
      const unstuffed = encode(buf, []).slice(0, -3).replace(/(^|\n)\./g, '$1');
      assert.equal(Buffer.byteLength(unstuffed, 'latin1'), servedSize(wireSize, buf.length, input.endsWith('\n')), JSON.stringify(input));
    }
  });
});

describe('TopLimiter', () => {
  for (const input of inputs) {
    for (const n of [0, 1, 2, 10]) {
      it(`TOP ${n} of ${JSON.stringify(input)}`, () => {
        const buf = Buffer.from(input, 'latin1');
        const expected = reference(input, n);
        for (let i = 0; i <= buf.length; i++) assert.equal(encode(buf, [i], n), expected, `cut at ${i}`);
      });
    }
  }
});
