/**
 * The Postroom side of the IMAP benchmark, in its own process as in production: serves DATA_DIR on
 * a free loopback port and prints "PORT <n>" once listening. Stops on SIGTERM.
 */
import pino from 'pino';
import { createImapDeps } from '../../src/access/imap/imap-service.js';
import { ImapListener } from '../../src/access/imap/server.js';
import { openDataDir } from '../../src/server/data-dir.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: serve.ts DATA_DIR');
  const ctx = await openDataDir(dataDir, pino({ level: 'silent' }));
  const settings = await ctx.store.config.settings();
  const listener = new ImapListener(createImapDeps(ctx, null, {}, () => settings), null);
  const { port } = await listener.listen('127.0.0.1', 0);
  process.stdout.write(`PORT ${port}\n`);
  process.once('SIGTERM', () => {
    listener
      .close()
      .then(() => ctx.close())
      .finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
