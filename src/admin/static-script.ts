/** Serves a page's small script from views/ (read once, cached by the browser for 5 minutes). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { viewsDir } from './render.js';

export function registerScript(app: FastifyInstance, name: string): void {
  let script: Promise<string> | null = null;
  app.get(`/${name}`, async (_req, reply) => {
    script ??= readFile(path.join(viewsDir, name), 'utf8');
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=300').send(await script);
  });
}
