/**
 * The FETCH output path: CrlfEncoder.encodeInto (bodies encoded straight into the connection's
 * output blocks) gives the same octets as CrlfEncoder.encode across chunk boundaries, and stops at
 * its limit; readFileRange gives a file's bytes in order through its reused buffer.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ReadAhead, readFileRange } from '../../../src/access/imap/message/read-ahead.js';
import { CrlfEncoder } from '../../../src/access/imap/message/sections.js';
import { OutputBuffer } from '../../../src/access/pop3/output.js';

const taken = (out: OutputBuffer) => Buffer.concat(out.take().chunks);

test('encodeInto matches encode for every split of mixed LF/CRLF text', () => {
  const src = Buffer.from('a\nb\r\n\n\r\r\nccc\n\nd\r');
  for (let cut = 0; cut <= src.length; cut++) {
    const expected = Buffer.concat([new CrlfEncoder().encode(src)]);
    const enc = new CrlfEncoder();
    const out = new OutputBuffer();
    let n = enc.encodeInto(src.subarray(0, cut), out, Infinity);
    n += enc.encodeInto(src.subarray(cut), out, Infinity);
    const got = taken(out);
    assert.deepEqual(got, expected, `cut at ${cut}`);
    assert.equal(n, expected.length);
  }
});

test('encodeInto appends at most max octets, even inside an inserted CRLF', () => {
  const src = Buffer.from('ab\ncd\n');
  const full = new CrlfEncoder().encode(src);
  for (let max = 0; max <= full.length; max++) {
    const out = new OutputBuffer();
    const n = new CrlfEncoder().encodeInto(src, out, max);
    assert.equal(n, max);
    assert.deepEqual(taken(out), full.subarray(0, max));
  }
});

test('readFileRange reads a range larger than its buffer, in order, counted from the message start (a batch file holds several)', async () => {
  const file = path.join(os.tmpdir(), `postroom-range-${process.pid}.bin`);
  const data = Buffer.alloc(700 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  await writeFile(file, data);
  const read = async (offset: number, start: number, end: number) => {
    const parts: Buffer[] = [];
    for await (const chunk of readFileRange({ path: file, offset, length: null }, start, end)) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts);
  };
  const whole = await read(0, 5, data.length - 3);
  const inBatch = await read(1001, 5, data.length - 1004);
  await rm(file, { force: true });
  assert.deepEqual(whole, data.subarray(5, data.length - 3));
  assert.deepEqual(inBatch, data.subarray(1006, data.length - 3));
});

test('ReadAhead reads a message from its offset in a batch file, synchronously and through the thread pool', async () => {
  const file = path.join(os.tmpdir(), `postroom-batch-${process.pid}.bin`);
  await writeFile(file, 'firstSECOND MESSAGEthird');
  const items = [{ blob: 'second', size: 14 }];
  const locate = () => ({ path: file, offset: 5, length: 14 });
  try {
    const sync = new ReadAhead(locate, items);
    assert.equal(String(await sync.get(0)), 'SECOND MESSAGE');
    const pooled = new ReadAhead(locate, items);
    (pooled as unknown as { sync: { fast: boolean } }).sync.fast = false;
    assert.equal(String(await pooled.get(0)), 'SECOND MESSAGE');
  } finally {
    await rm(file, { force: true });
  }
});
