/** SyncReads: synchronous reads while they are fast, and when a session gives up on them. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeQuietly, SyncReads } from '../../../src/access/pop3/files.js';

describe('SyncReads', () => {
  let file: string;
  before(async () => {
    file = path.join(os.tmpdir(), `postroom-syncreads-${process.pid}`);
    await writeFile(file, 'Subject: x\r\n\r\nbody\r\n');
  });
  after(() => rm(file, { force: true }));

  /** Reads the file once; `slow` makes that read take 2 ms (a disk, or a preempted thread). */
  function readOnce(reads: SyncReads, slow: boolean): string {
    const readSync = fs.readSync;
    if (slow) {
      fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
        const until = performance.now() + 2;
        while (performance.now() < until);
        return (readSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.readSync;
    }
    try {
      const into = Buffer.alloc(64);
      const { fd, length } = reads.openRead(file, into);
      closeQuietly(fd);
      return into.toString('latin1', 0, length);
    } finally {
      fs.readSync = readSync;
    }
  }

  it('reads the file; slow reads now and then (preemption) do not switch it off', () => {
    const reads = new SyncReads();
    for (const slow of [true, false, true, true, false, true, false]) assert.equal(readOnce(reads, slow), 'Subject: x\r\n\r\nbody\r\n');
    assert.equal(reads.fast, true);
  });

  it('three slow reads in a row (a disk) switch it off for good', () => {
    const reads = new SyncReads();
    readOnce(reads, true);
    readOnce(reads, true);
    assert.equal(reads.fast, true);
    readOnce(reads, true);
    assert.equal(reads.fast, false);
    readOnce(reads, false);
    assert.equal(reads.fast, false);
  });

  it('a file that cannot be opened throws, as openSync does', () => {
    assert.throws(() => new SyncReads().openRead(`${file}.missing`, Buffer.alloc(8)), { code: 'ENOENT' });
  });
});
