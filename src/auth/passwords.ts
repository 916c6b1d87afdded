/** Password hashing: argon2id, PHC strings. Sync variants exist for use inside a store transaction. */
import { hash, hashSync, verify, verifySync } from '@node-rs/argon2';

export const hashPassword = (password: string): Promise<string> => hash(password);
export const hashPasswordSync = (password: string): string => hashSync(password);

export async function verifyPassword(phc: string | null, password: string): Promise<boolean> {
  if (!phc) return false;
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

export function verifyPasswordSync(phc: string | null, password: string): boolean {
  if (!phc) return false;
  try {
    return verifySync(phc, password);
  } catch {
    return false;
  }
}

export { randomPassword } from './random-password.js';
