/**
 * Doctor: the findings of `postroom doctor` with their fixes. The page runs the checks without the
 * network; the relay check (it connects to the smarthost, no mail sent) runs from its button.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { runDoctor } from '../../diagnose/doctor.js';
import type { AdminContext } from '../app.js';
import { renderPage } from '../render.js';

export function registerDoctorPage(app: FastifyInstance, ctx: AdminContext): void {
  const show = async (req: FastifyRequest, reply: FastifyReply, network: boolean) => {
    const report = await runDoctor(ctx.store, ctx.runtime.dataDir, { network });
    return renderPage(req, reply, 'doctor', { title: 'Doctor', network, ...report });
  };
  app.get('/doctor', async (req, reply) => show(req, reply, false));
  // A POST (with the CSRF token) because it connects out; it changes nothing, so it answers with the page.
  app.post('/doctor/relay', async (req, reply) => show(req, reply, true));
}
