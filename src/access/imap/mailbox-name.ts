/**
 * Mailbox names as clients send them (modified UTF-7, RFC 3501 5.1.3) → the stored Unicode name:
 * "INBOX" in any case is INBOX (5.1), "/" separates levels, a trailing "/" is dropped.
 */
import { decodeMailboxName } from './wire.js';

export const DELIMITER = '/';

/** The stored name, or null when the name is not acceptable (the reason for a NO/BAD). */
export function mailboxFromClient(raw: string): { name: string } | { error: string } {
  const decoded = decodeMailboxName(raw);
  if (decoded === null) return { error: 'Mailbox name is not valid modified UTF-7' };
  let name = decoded.endsWith(DELIMITER) ? decoded.slice(0, -1) : decoded;
  if (name.toUpperCase() === 'INBOX') name = 'INBOX';
  else if (name.toUpperCase().startsWith('INBOX/')) name = 'INBOX' + name.slice(5);
  if (name === '' || name.split(DELIMITER).some((p) => p === '')) return { error: 'Mailbox name is empty or has an empty level' };
  if (/[%*\x00-\x1f\x7f]/.test(name)) return { error: 'Mailbox name may not contain %, * or control characters' };
  return { name };
}

/** LIST patterns: "*" matches anything, "%" anything but the delimiter (RFC 3501 6.3.8). */
export function patternToRegExp(reference: string, pattern: string): RegExp {
  // RFC 3501 6.3.8: the reference and the pattern are joined; a reference normally ends in "/".
  const full = pattern.startsWith(DELIMITER) ? pattern : reference + pattern;
  let decoded = decodeMailboxName(full) ?? full;
  // INBOX is case-insensitive (5.1); the rest of a name is not.
  if (/^inbox(?=$|\/)/i.test(decoded)) decoded = 'INBOX' + decoded.slice(5);
  let re = '';
  for (const ch of decoded) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
