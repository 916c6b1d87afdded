/**
 * Checking an admin's password, for the login page and POST /api/login alike: throttled per client
 * address and per name (src/auth/login-throttle.ts, as POP3 and SMTP AUTH do), argon2 verify,
 * admins only. A wrong name, a wrong password and a non-admin get the same answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyPassword } from '../auth/passwords.js';
import { setUserPassword } from '../config/edit.js';
import type { AdminContext } from './app.js';

export type LoginResult = { ok: true; user: string } | { ok: false; blocked: boolean };

export async function checkAdminLogin(ctx: AdminContext, address: string, login: string, password: string): Promise<LoginResult> {
  if (ctx.throttle.blocked(address, login)) return { ok: false, blocked: true };
  const user = login ? await ctx.store.users.findByLogin(login) : undefined;
  if (user?.admin && (await verifyPassword(user.passwordHash, password))) {
    ctx.throttle.succeeded(address, login);
    ctx.log.info({ service: 'admin', user: user.name, address }, 'admin logged in');
    return { ok: true, user: user.name };
  }
  const delay = ctx.throttle.failed(address, login);
  ctx.log.warn({ service: 'admin', login, address }, 'admin login failed');
  // Answering later slows a guesser down without locking the real admin out.
  await sleep(delay);
  return { ok: false, blocked: false };
}

/**
 * An admin changes their own password: the current one must be right, the new one is applied
 * through the configuration layer, and every other session of theirs ends.
 */
export async function changeOwnPassword(ctx: AdminContext, user: string, keepTokenHash: string, current: string, next: string): Promise<string | null> {
  const record = await ctx.store.users.get(user);
  if (!record || !(await verifyPassword(record.passwordHash, current))) return 'The current password is not right.';
  if (next.length < 8) return 'The new password must have at least 8 characters.';
  await setUserPassword(ctx.store, user, next);
  await ctx.store.adminSessions.removeUser(user, keepTokenHash);
  return null;
}
