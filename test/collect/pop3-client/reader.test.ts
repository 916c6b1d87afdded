/**
 * The response reader against every way TCP can cut a response: table-driven over messages that
 * stress dot-stuffing, 8-bit and NUL bytes, bare CR/LF and very long lines, cut at every offset.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { DotDecoder } from '../../../src/collect/pop3-client/dot-decoder.js';
import { ResponseReader } from '../../../src/collect/pop3-client/reader.js';
import { dotStuff } from '../../fixtures/fake-pop3-server.js';

const faults = {
  timeout: (what: string) => new Error(`timeout: ${what}`),
  closed: (what: string) => new Error(`closed: ${what}`),
  malformed: (what: string, detail: string) => new Error(`malformed: ${what}: ${detail}`),
};

/** A reader whose source delivers exactly these chunks, one read() each. */
function readerOf(chunks: Buffer[], timeoutMs = 2000): ResponseReader {
  return new ResponseReader(Readable.from(chunks), timeoutMs, faults);
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Reads "+OK", a body, then the next status line; returns the body and that next line. */
async function readRetrThenNext(chunks: Buffer[]): Promise<{ body: Buffer; next: string }> {
  const reader = readerOf(chunks);
  assert.equal((await reader.readLine('RETR')).toString(), '+OK');
  let ended = 0;
  const body = await collect(reader.readBody('RETR', { onEnd: () => ended++, onAbort: (e) => assert.fail(e) }));
  assert.equal(ended, 1, 'onEnd runs once, at the terminator');
  return { body, next: (await reader.readLine('NOOP')).toString('latin1') };
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

const messages: Array<[string, Buffer]> = [
  ['empty body', bytes('')],
  ['one line', bytes('Subject: hi\r\n\r\nhello\r\n')],
  ['lines starting with dots', bytes('A: b\r\n\r\n.\r\n..\r\n.x\r\n...\r\n. \r\nend\r\n')],
  ['dot line last', bytes('A: b\r\n\r\ntext\r\n.\r\n')],
  ['8-bit and NUL bytes', Buffer.concat([bytes('A: b\r\n\r\n'), Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x41, 0x00, 0x0d, 0x0a]), bytes('.\x00\r\n')])],
  ['CR alone and CR CR LF', bytes('A: b\r\n\r\nx\ry\r\r\n.\rz\r\n')],
  ['blank lines', bytes('\r\n\r\n\r\n')],
  // Dots inside lines before a stuffed one: 7, 8 and 9 of them, around where the decoder stops
  // looking at single dots and searches for LF-dot instead (see nextLfDot).
  ['dotted lines before stuffed ones', bytes('A: b\r\n\r\n1.2.3.4.5.6.7.\r\n.a\r\n1.2.3.4.5.6.7.8.\r\n.b\r\n1.2.3.4.5.6.7.8.9.\r\n..\r\nx.y\r\n.\r\n')],
];

describe('DotDecoder', () => {
  test('stops exactly at the terminator and hands back what follows', () => {
    const d = new DotDecoder();
    const r = d.push(bytes('a\r\n..b\r\n.\r\n+OK next'));
    assert.equal(Buffer.concat(r.out).toString(), 'a\r\n.b\r\n');
    assert.equal(r.rest?.toString(), '+OK next');
    assert.throws(() => d.push(bytes('x')), /after the end/);
  });

  test('a body that never ends is never done', () => {
    const d = new DotDecoder();
    assert.equal(d.push(bytes('a\r\n.')).rest, undefined);
    assert.equal(d.push(bytes('\r')).rest, undefined);
    assert.equal(d.push(bytes('x\r\n')).rest, undefined, '".\\rx" is content, not the end');
    assert.equal(d.done, false);
  });
});

describe('ResponseReader: bodies cut at every offset', () => {
  for (const [name, message] of messages) {
    const wire = Buffer.concat([bytes('+OK\r\n'), dotStuff(message), bytes('+OK after\r\n')]);
    const expected = message.length === 0 || message[message.length - 1] === 0x0a ? message : Buffer.concat([message, bytes('\r\n')]);

    test(`${name}: two chunks, cut at each of ${wire.length + 1} offsets`, async () => {
      for (let cut = 0; cut <= wire.length; cut++) {
        const { body, next } = await readRetrThenNext([wire.subarray(0, cut), wire.subarray(cut)]);
        assert.deepEqual(body, expected, `cut at ${cut}`);
        assert.equal(next, '+OK after', `cut at ${cut}`);
      }
    });

    test(`${name}: one byte per chunk`, async () => {
      const chunks = [...wire].map((b) => Buffer.from([b]));
      const { body, next } = await readRetrThenNext(chunks);
      assert.deepEqual(body, expected);
      assert.equal(next, '+OK after');
    });
  }

  test('the terminator cut in three at every pair of offsets', async () => {
    const wire = bytes('+OK\r\nx\r\n..\r\n.\r\n+OK after\r\n');
    const tail = wire.indexOf('.\r\n+OK') - 2;
    for (let i = tail; i <= wire.length; i++) {
      for (let j = i; j <= wire.length; j++) {
        const { body, next } = await readRetrThenNext([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
        assert.equal(body.toString(), 'x\r\n.\r\n', `cuts ${i},${j}`);
        assert.equal(next, '+OK after');
      }
    }
  });
});

describe('ResponseReader: broken servers and large lines', () => {
  test('bare LF line ends: terminator and stuffing still found, bytes kept as sent', async () => {
    const wire = bytes('+OK\n..a\nb\n.\n+OK after\n');
    for (let cut = 0; cut <= wire.length; cut++) {
      const { body, next } = await readRetrThenNext([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.equal(body.toString(), '.a\nb\n', `cut at ${cut}`);
      assert.equal(next, '+OK after');
    }
  });

  test('a 1 MB line arrives whole, in random chunks', async () => {
    const line = Buffer.alloc(1024 * 1024, 0x61);
    line[0] = 0x2e; // and it starts with a dot, so it is stuffed
    const message = Buffer.concat([bytes('A: b\r\n\r\n'), line, bytes('\r\n')]);
    const wire = Buffer.concat([bytes('+OK\r\n'), dotStuff(message), bytes('+OK after\r\n')]);
    const chunks: Buffer[] = [];
    let seed = 7;
    for (let pos = 0; pos < wire.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const size = 1 + (seed % 9000);
      chunks.push(wire.subarray(pos, pos + size));
      pos += size;
    }
    const { body, next } = await readRetrThenNext(chunks);
    assert.ok(body.equals(message));
    assert.equal(next, '+OK after');
  });

  test('status line split across chunks, with a bare LF', async () => {
    const reader = readerOf([bytes('+O'), bytes('K 2 3'), bytes('20\n-E'), bytes('RR no\r'), bytes('\n')]);
    assert.equal((await reader.readLine('STAT')).toString(), '+OK 2 320');
    assert.equal((await reader.readLine('DELE')).toString(), '-ERR no');
  });

  test('listings split anywhere come back as lines', async () => {
    const wire = bytes('1 uid-a\r\n2 uid-b\r\n.\r\n');
    for (let cut = 0; cut <= wire.length; cut++) {
      const reader = readerOf([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.deepEqual(await reader.readListing('UIDL'), ['1 uid-a', '2 uid-b'], `cut at ${cut}`);
    }
  });

  test('the stream ending inside a body fails the body, never ends it cleanly', async () => {
    const reader = readerOf([bytes('+OK\r\nSubject: x\r\n\r\npartial')]);
    await reader.readLine('RETR 1');
    let aborted: Error | undefined;
    const body = reader.readBody('RETR 1', { onEnd: () => assert.fail('must not end'), onAbort: (e) => (aborted = e) });
    await assert.rejects(collect(body), /closed: RETR 1 \(after 21 bytes/);
    assert.match(String(aborted), /closed/);
  });

  test('no data within the timeout fails the read, and the reader stays failed', async () => {
    const source = new Readable({ read() {} });
    const reader = new ResponseReader(source, 50, faults);
    await assert.rejects(reader.readLine('the greeting'), /timeout: the greeting/);
    source.push(bytes('+OK late\r\n'));
    await assert.rejects(reader.readLine('NOOP'), /timeout: the greeting/);
  });

  test('bytes waiting after STLS are refused (STARTTLS injection)', async () => {
    const reader = readerOf([bytes('+OK begin\r\nUSER evil\r\n')]);
    await reader.readLine('STLS');
    assert.throws(() => reader.release('STLS'), /unexpected bytes after the STLS answer/);
  });
});
