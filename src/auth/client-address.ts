/** A client's address, as the doors' login policies and throttles see it. */

/** "::ffff:127.0.0.1" → "127.0.0.1", so throttling and the loopback check see one form. */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** Loopback clients may send passwords without TLS: nothing crosses a network. */
export function isLoopback(address: string): boolean {
  const a = normalizeAddress(address);
  return a === '::1' || a.startsWith('127.');
}

/**
 * Whether a client may send a password in the clear: over TLS, from loopback, or when
 * `security.allowPlaintextWithoutTls` says so. The one rule for every door (POP3, IMAP, SMTP).
 */
export function plaintextAllowed(encrypted: boolean, address: string, settings: { security: { allowPlaintextWithoutTls: boolean } }): boolean {
  return encrypted || isLoopback(address) || settings.security.allowPlaintextWithoutTls;
}
