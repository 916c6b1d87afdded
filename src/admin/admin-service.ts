/**
 * The admin web server as a service of `postroom start`: builds the admin application (app.ts) and
 * listens on listen.address:listen.admin; a changed port or address rebinds, 0 turns it off.
 */
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/schema.js';
import type { DataContext } from '../server/data-dir.js';
import type { Service } from '../server/service.js';
import { buildAdminApp } from './app.js';
import type { AdminRuntime } from './runtime.js';

export function adminService(ctx: DataContext, runtime: AdminRuntime): Service {
  let app: FastifyInstance | null = null;
  let bound = '';
  const key = (s: Settings) => `${s.listen.address}:${s.listen.admin}`;

  const start = async (settings: Settings) => {
    if (settings.listen.admin === 0) return;
    const a = await buildAdminApp({ store: ctx.store, blobs: ctx.blobs, log: ctx.log.child({ service: 'admin' }), runtime });
    await a.listen({ host: settings.listen.address, port: settings.listen.admin });
    app = a;
    bound = key(settings);
    ctx.log.info({ service: 'admin', address: bound }, `admin listening on http://${bound}/`);
  };
  const stop = async () => {
    if (!app) return;
    await app.close();
    app = null;
    bound = '';
  };
  return {
    name: 'admin',
    start,
    stop,
    async reconfigure(settings) {
      if (key(settings) === bound || (settings.listen.admin === 0 && !app)) return;
      await stop();
      await start(settings);
    },
    describe: () => (app ? `listening on http://${bound}/` : 'off'),
  };
}
