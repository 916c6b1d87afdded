/**
 * Writing IMAP response data (RFC 3501 section 4): strings as quoted or literal, NIL, lists, and
 * modified UTF-7 mailbox names.
 */

/** A string as IMAP data: quoted when it can be, else a literal (8-bit, CR/LF, long). */
export function str(value: string): string {
  if (value.length < 1024 && /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(value)) return `"${value}"`;
  if (value.length < 1024 && /^[\x20-\x7e]*$/.test(value)) return `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  return `{${Buffer.byteLength(value, 'utf8')}}\r\n${value}`;
}

/** nstring: a string or NIL. */
export function nstr(value: string | null | undefined): string {
  return value === null || value === undefined ? 'NIL' : str(value);
}

/** "(" items joined by SP ")", or NIL when empty and `nilWhenEmpty`. */
export function list(items: string[], nilWhenEmpty = false): string {
  if (items.length === 0 && nilWhenEmpty) return 'NIL';
  return `(${items.join(' ')})`;
}

/** An astring for a mailbox name: atom when possible (clients read both), else quoted/literal. */
export function mailboxName(name: string): string {
  const encoded = encodeMailboxName(name);
  return str(encoded);
}

/** Unicode → modified UTF-7 (RFC 3501 section 5.1.3). */
export function encodeMailboxName(name: string): string {
  let out = '';
  let pending = '';
  const flush = () => {
    if (!pending) return;
    const b = Buffer.from(pending, 'utf16le').swap16();
    out += '&' + b.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = '';
  };
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else {
      pending += ch;
    }
  }
  flush();
  return out;
}

/** Modified UTF-7 → Unicode; null when malformed (the client then gets a BAD/NO). */
export function decodeMailboxName(name: string): string | null {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const ch = name[i]!;
    if (ch !== '&') {
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return name; // already Unicode (UTF8=ACCEPT style clients)
      out += ch;
      i++;
      continue;
    }
    const end = name.indexOf('-', i);
    if (end === -1) return null;
    const b64 = name.slice(i + 1, end);
    if (b64 === '') out += '&';
    else {
      if (!/^[A-Za-z0-9+,]+$/.test(b64)) return null;
      const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
      if (bytes.length % 2 !== 0) return null;
      out += bytes.swap16().toString('utf16le');
    }
    i = end + 1;
  }
  return out;
}

/** INTERNALDATE / date-time: "dd-Mon-yyyy hh:mm:ss +0000" in UTC. */
export function imapDateTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `"${p(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000"`;
}
