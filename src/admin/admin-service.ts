/**
 * The admin web server. For now it serves /api/health (what is running, which configuration
 * generation is loaded); the pages and the JSON API grow here (see the admin issue).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Settings } from '../config/schema.js';
import type { DataContext } from '../server/data-dir.js';
import type { Service } from '../server/service.js';

export interface HealthSource {
  configGeneration(): number;
  services(): Array<{ name: string; state: string }>;
}

export function adminService(ctx: DataContext, health: HealthSource): Service {
  let app: FastifyInstance | null = null;
  let bound = '';
  const key = (s: Settings) => `${s.listen.address}:${s.listen.admin}`;

  const start = async (settings: Settings) => {
    if (settings.listen.admin === 0) return;
    const a = Fastify({ logger: false });
    a.get('/api/health', async () => ({
      status: 'ok',
      pid: process.pid,
      hostname: settings.hostname,
      configGeneration: health.configGeneration(),
      services: health.services(),
    }));
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
