/**
 * The Postroom side of the benchmark, in its own process as in production (the client must not
 * share an event loop with the server it measures): serves DATA_DIR's maildrops on a free loopback
 * port and prints "PORT <n>" once listening. Stops on SIGTERM.
 */
import pino from 'pino';
import { createPop3Deps } from '../../src/access/pop3/pop3-service.js';
import { Pop3Listener } from '../../src/access/pop3/server.js';
import { openDataDir } from '../../src/server/data-dir.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: serve.ts DATA_DIR');
  const ctx = await openDataDir(dataDir, pino({ level: 'silent' }));
  const settings = await ctx.store.config.settings();
  const listener = new Pop3Listener(createPop3Deps(ctx, null, {}, () => settings), null);
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
