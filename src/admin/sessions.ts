/**
 * Admin sessions: a random token in an HttpOnly, SameSite=Strict cookie (pages) or a bearer token
 * (JSON API), with only its sha256 in the store. Chosen over signed cookies so that logout, a
 * password change or removing the user ends sessions at once, and sessions survive a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/interfaces.js';

export const SESSION_COOKIE = 'postroom_session';
/** A browser session ends after this long without a request. */
export const BROWSER_IDLE_MS = 8 * 3600_000;
/** An API token lives this long, used or not. */
export const API_TOKEN_MS = 30 * 86_400_000;
/** Activity is written at most this often (a page load should not always write the database). */
const TOUCH_EVERY_MS = 60_000;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Who is logged in, for the request. `tokenHash` names the session (logout, "other sessions"). */
export interface AdminIdentity {
  user: string;
  tokenHash: string;
}

export async function createSession(store: Store, user: string, kind: 'browser' | 'api', now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + (kind === 'browser' ? BROWSER_IDLE_MS : API_TOKEN_MS);
  await store.adminSessions.create(hashToken(token), { user, kind, createdAt: now, lastSeenAt: now, expiresAt });
  // Expired rows are only clutter (find() never returns them); new logins sweep them.
  await store.adminSessions.purgeExpired(now);
  return { token, expiresAt };
}

/**
 * The identity behind a token of the given kind, or null: unknown, expired, or its user is no
 * longer an admin (removed or demoted since; the session is then ended).
 */
export async function resolveSession(store: Store, token: string | undefined, kind: 'browser' | 'api', now = Date.now()): Promise<AdminIdentity | null> {
  if (!token) return null;
  const tokenHash = hashToken(token);
  const s = await store.adminSessions.find(tokenHash, now);
  if (!s || s.kind !== kind) return null;
  const user = await store.users.get(s.user);
  if (!user?.admin) {
    await store.adminSessions.remove(tokenHash);
    return null;
  }
  if (kind === 'browser' && now - s.lastSeenAt > TOUCH_EVERY_MS) await store.adminSessions.touch(tokenHash, now, now + BROWSER_IDLE_MS);
  return { user: s.user, tokenHash };
}
