/**
 * Server-rendered pages: eta templates in ./views (copied next to the compiled files by the build),
 * one layout, HTML-escaped by default. Every page gets the CSRF token for its forms and the flash
 * message left by the POST that redirected to it (POST → 303 → GET, so a reload never re-posts).
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const viewsDir = fileURLToPath(new URL('./views', import.meta.url));
const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });

const FLASH_COOKIE = 'postroom_flash';

/** A message shown once at the top of the next page. */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
  /** Details: the changes applied, or the problems found. */
  lines?: string[];
}

/** Sets the flash for the next page and redirects there (303: the browser follows with a GET). */
export function redirectWithFlash(reply: FastifyReply, to: string, flash: Flash): FastifyReply {
  // base64url: the text may hold characters a cookie value cannot (";", quotes).
  reply.setCookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString('base64url'), { path: '/', httpOnly: true, sameSite: 'strict', signed: true });
  return reply.redirect(to, 303);
}

function takeFlash(req: FastifyRequest, reply: FastifyReply): Flash | null {
  const raw = req.cookies[FLASH_COOKIE];
  if (!raw) return null;
  reply.clearCookie(FLASH_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
  const u = req.unsignCookie(raw);
  if (!u.valid || u.value === null) return null;
  try {
    return JSON.parse(Buffer.from(u.value, 'base64url').toString('utf8')) as Flash;
  } catch {
    return null;
  }
}

/** Renders `view` inside the layout as an HTML response. */
export async function renderPage(req: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown>, status = 200): Promise<FastifyReply> {
  const html = eta.render(`./${view}`, {
    user: req.admin?.user ?? null,
    path: req.url.split('?')[0],
    csrf: reply.generateCsrf(),
    flash: takeFlash(req, reply),
    ...data,
  });
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}
