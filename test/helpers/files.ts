import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../src/blobs/blob-store.js';

/** Every file under `dir` (not its directories), relative to it, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** A stored message's bytes, wherever they are (a file of its own or a batch file). */
export async function storedBytes(blobs: Pick<BlobStore, 'read'>, blob: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of blobs.read(blob)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
