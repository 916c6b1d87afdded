/** Shared test setup: a fresh data directory with a silent logger, removed after the test. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfigText } from '../../src/config/load.js';
import { applyConfig } from '../../src/config/apply.js';
import { openDataDir, type DataContext } from '../../src/server/data-dir.js';
import type { SqliteStore } from '../../src/store/sqlite/index.js';

export async function tempDir(prefix = 'postroom-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestContext extends DataContext {
  store: SqliteStore;
  cleanup(): Promise<void>;
}

/** Opens a data directory in a temp folder, optionally applying a YAML configuration first. */
export async function testContext(yaml?: string): Promise<TestContext> {
  const dir = await tempDir();
  const ctx = await openDataDir(dir, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  if (yaml) {
    const { config, given } = parseConfigText(yaml, 'test.yaml');
    await applyConfig(ctx.store, config, { file: 'test.yaml', prune: false, dryRun: false, unknownRecipientGiven: 'unknownRecipient' in given });
  }
  return {
    ...ctx,
    store: ctx.store as SqliteStore,
    async cleanup() {
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A small office: two users, a list, one local domain. */
export const officeYaml = `
hostname: mail.example.test
domains: [example.test]
unknownRecipient: postmaster
users:
  - { name: postmaster, password: pm, addresses: [postmaster@example.test], admin: true }
  - { name: bob, password: bobpw, addresses: [bob@example.test, robert@example.test] }
  - { name: jane, password: janepw, addresses: [jane@example.test] }
lists:
  - { name: staff, address: staff@example.test, members: [bob, jane, partner@elsewhere.test] }
`;
