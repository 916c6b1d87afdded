/**
 * /api/lists (docs/api.md): distribution and mailing lists, through the same config/edit.ts
 * functions as the Lists page. A refused edit answers 400 with `problems` naming the key.
 */
import type { FastifyInstance } from 'fastify';
import { patchList, removeList, saveList, type ListInput } from '../config/edit.js';
import { edit, obj } from './api.js';
import type { AdminContext } from './app.js';

type Named = { Params: { name: string } };

export function registerListApi(app: FastifyInstance, ctx: AdminContext): void {
  const { store } = ctx;
  // The body goes to the schema as it is, so a wrong type or an unknown key is named there.
  const body = (b: unknown) => obj(b) as unknown as ListInput;

  app.get('/api/lists', async () => (await store.config.snapshot()).lists);
  app.get<Named>('/api/lists/:name', async (req, reply) => (await store.config.list(req.params.name)) ?? reply.code(404).send({ error: 'not_found', message: `no list named "${req.params.name}"` }));
  app.post('/api/lists', async (req, reply) => edit(reply, () => saveList(store, null, body(req.body))));
  // PUT replaces the whole list (the name defaults to the one in the URL; another one renames it).
  app.put<Named>('/api/lists/:name', async (req, reply) => {
    const list = body(req.body);
    return edit(reply, () => saveList(store, req.params.name, { ...list, name: list.name ?? req.params.name }));
  });
  app.patch<Named>('/api/lists/:name', async (req, reply) => edit(reply, () => patchList(store, req.params.name, body(req.body))));
  app.delete<Named>('/api/lists/:name', async (req, reply) => edit(reply, () => removeList(store, req.params.name)));
}
