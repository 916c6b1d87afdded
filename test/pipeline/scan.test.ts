import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { useLineEndsEngine } from '../../src/pipeline/line-ends.js';
import { MAX_HEADER_BYTES, MessageScanner } from '../../src/pipeline/scan.js';

function scan(chunks: Buffer[]) {
  const s = new MessageScanner();
  for (const c of chunks) s.update(c);
  return s.finish();
}

/** The reference count of LFs not preceded by CR, byte by byte. */
function countBare(buf: Buffer): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10 && (i === 0 || buf[i - 1] !== 13)) n++;
  return n;
}

function splitAt(buf: Buffer, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    out.push(buf.subarray(prev, o));
    prev = o;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('MessageScanner', () => {
  const crlf = Buffer.from('From: a@b.c\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n');
  const lf = Buffer.from('From: a@b.c\nSubject: hi\n\nline 1\nline 2\n');

  it('finds the header and hashes the body the same for CRLF and LF', () => {
    const a = scan([crlf]);
    const b = scan([lf]);
    assert.equal(a.header.toString(), 'From: a@b.c\r\nSubject: hi\r\n');
    assert.equal(b.header.toString(), 'From: a@b.c\nSubject: hi\n');
    assert.equal(a.bodyHash, b.bodyHash);
    assert.equal(a.bodyHash, createHash('sha256').update('line 1\nline 2').digest('hex'));
  });

  it('gives the same result whatever the chunking (every split point)', () => {
    for (const msg of [crlf, lf]) {
      const whole = scan([msg]);
      for (let i = 0; i <= msg.length; i++) {
        for (const j of [i, Math.min(msg.length, i + 1), Math.min(msg.length, i + 2)]) {
          const r = scan(splitAt(msg, [i, j]));
          assert.deepEqual(r, whole, `split at ${i},${j}`);
        }
      }
    }
  });

  it('counts wire size: bare LF becomes CRLF, CRLF stays', () => {
    assert.equal(scan([lf]).wireSize, lf.length + 5);
    assert.equal(scan([crlf]).wireSize, crlf.length);
    const mixed = Buffer.from('A: b\r\n\nx\ny\r\n');
    assert.equal(scan([mixed]).wireSize, mixed.length + 2);
    assert.equal(scan(splitAt(mixed, [5, 6])).wireSize, mixed.length + 2);
    // An empty header: the message starts with its blank line, an LF first is bare too.
    assert.equal(scan([Buffer.from('\nx\n')]).wireSize, 5);
    assert.equal(scan([Buffer.from('\r\nx\r\n')]).wireSize, 5);
  });

  it('ignores trailing line breaks in the body hash but not inner ones', () => {
    const a = scan([Buffer.from('A: b\n\nx\n\n\n')]).bodyHash;
    const b = scan([Buffer.from('A: b\n\nx')]).bodyHash;
    const c = scan([Buffer.from('A: b\n\nx\n\ny')]).bodyHash;
    assert.equal(a, b);
    assert.notEqual(b, c);
  });

  it('treats a message without a blank line as all header, and an empty header as body only', () => {
    const r = scan([Buffer.from('Subject: only header\n')]);
    assert.equal(r.header.toString(), 'Subject: only header\n');
    const e = scan([Buffer.from('\nbody only\n')]);
    assert.equal(e.header.length, 0);
    assert.equal(e.bodyHash, createHash('sha256').update('body only').digest('hex'));
  });

  it('keeps bare CR, NUL and 8-bit bytes in the body hash', () => {
    const a = scan([Buffer.from([0x41, 0x3a, 0x20, 0x62, 0x0a, 0x0a, 0x00, 0xff, 0x0d, 0x41])]);
    const b = scan([Buffer.from([0x41, 0x3a, 0x20, 0x62, 0x0a, 0x0a, 0x00, 0xff, 0x41])]);
    assert.notEqual(a.bodyHash, b.bodyHash);
  });

  it('stops collecting header at the limit and hashes the rest as body', () => {
    const huge = Buffer.concat([Buffer.from('X-Big: '), Buffer.alloc(MAX_HEADER_BYTES + 100, 'a')]);
    const chunks = splitAt(huge, [65536, 131072, 500000]);
    const r = scan(chunks);
    assert.equal(r.header.length, MAX_HEADER_BYTES);
    assert.equal(r.size, huge.length);
  });

  it('counts a CRLF cut by the header limit (CR last in the header, LF first in the body) as no bare LF', () => {
    // No blank line: the header is cut at the limit, right between a CR and its LF.
    const message = Buffer.from(`X: ${'a'.repeat(MAX_HEADER_BYTES - 4)}\r\n${'b\r\n'.repeat(100)}`);
    assert.equal(message[MAX_HEADER_BYTES - 1], 13);
    assert.equal(message[MAX_HEADER_BYTES], 10);
    for (const chunks of [[message], splitAt(message, [MAX_HEADER_BYTES]), splitAt(message, [65536, MAX_HEADER_BYTES + 1])]) {
      assert.equal(scan(chunks).wireSize, message.length + countBare(message));
    }
  });

  for (const engine of ['simd', 'js'] as const) {
    it(`hashes the same normalized body whatever the chunking (random bodies of CR, LF, CRLF runs and text; ${engine} line ends)`, (t) => {
      assert.ok(useLineEndsEngine(engine));
      t.after(() => useLineEndsEngine('simd'));
      // The reference, on the whole body at once: CRLF read as LF, trailing line breaks dropped; a
      // body ending in a lone CR keeps that CR after the dropped line breaks (as the hash always has:
      // stored fingerprints depend on it).
      const reference = (body: Buffer) => {
        const t = body.toString('latin1').replace(/\r\n/g, '\n');
        const normalized = t.endsWith('\r') ? `${t.slice(0, -1).replace(/\n+$/, '')}\r` : t.replace(/\n+$/, '');
        return createHash('sha256').update(Buffer.from(normalized, 'latin1')).digest('hex');
      };
      let seed = 7;
      const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
      const pieces = ['\r', '\n', '\r\n', 'ab', 'x\r\ny', '\r\r\n', '\n\r', 'text line', '\u00e9'];
      for (let round = 0; round < 300; round++) {
        let body = '';
        for (let i = rand(60); i > 0; i--) body += pieces[rand(pieces.length)];
        const message = Buffer.from(`A: b\r\n\r\n${body}`, 'latin1');
        const cuts = [...new Set(Array.from({ length: rand(8) }, () => rand(message.length + 1)))].sort((a, b) => a - b);
        const r = scan(splitAt(message, cuts));
        assert.equal(r.bodyHash, reference(message.subarray(message.indexOf('\r\n\r\n') + 4)), `round ${round}, body ${JSON.stringify(body)}, cuts ${cuts.join(',')}`);
        // Wire size: every LF not preceded by CR takes one more octet (sent as CRLF).
        assert.equal(r.wireSize, message.length + countBare(message), `round ${round}: wire size`);
      }
    });
  }
});
