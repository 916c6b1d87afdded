/**
 * The data directory: DATA/postroom.db (SQLite), DATA/blobs/ (message files), DATA/tls/,
 * DATA/logs/, DATA/server.lock. Chosen by --data, else POSTROOM_DATA, else ./data.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { BlobStore } from '../blobs/blob-store.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/interfaces.js';

export function resolveDataDir(option?: string): string {
  return path.resolve(option ?? process.env.POSTROOM_DATA ?? 'data');
}

export interface DataContext {
  dataDir: string;
  store: Store;
  blobs: BlobStore;
  pipeline: Pipeline;
  log: Logger;
  close(): Promise<void>;
}

/** Opens (creating on first use) the data directory and everything in it that commands share. */
export async function openDataDir(dataDir: string, log: Logger): Promise<DataContext> {
  await mkdir(dataDir, { recursive: true });
  const blobs = new BlobStore(path.join(dataDir, 'blobs'));
  await blobs.init();
  const store = new SqliteStore(path.join(dataDir, 'postroom.db'));
  const pipeline = new Pipeline(store, blobs, log);
  return { dataDir, store, blobs, pipeline, log, close: () => store.close() };
}
