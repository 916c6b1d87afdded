import { rm } from 'node:fs/promises';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { tempDir } from '../helpers/context.js';

/** Runs `run` with a fresh blob store in a temporary directory, removed afterwards. */
export async function withStore(run: (blobs: BlobStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    const blobs = new BlobStore(dir);
    await blobs.init();
    await run(blobs, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
