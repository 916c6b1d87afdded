/**
 * Reading the fields the pipeline cares about out of a raw header block: Message-ID, addresses,
 * subject. Parsing is done by mailsplit; this file only normalizes, tolerantly: a header we
 * cannot make sense of yields nothing, never an exception.
 */
import { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';

export interface HeaderField {
  /** Lower-case field name. */
  key: string;
  /** Unfolded value, raw bytes read as UTF-8. */
  value: string;
}

export function parseHeaderBlock(header: Buffer): HeaderField[] {
  if (header.length === 0) return [];
  const lines = new Headers(header).getList();
  const fields: HeaderField[] = [];
  for (const { key, line } of lines) {
    if (!key) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    // mailsplit works on "binary" strings: turn them back into bytes and read those as UTF-8.
    const value = Buffer.from(line.slice(colon + 1), 'binary')
      .toString('utf8')
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    fields.push({ key: key.trim().toLowerCase(), value });
  }
  return fields;
}

export function values(fields: HeaderField[], key: string): string[] {
  const k = key.toLowerCase();
  return fields.filter((f) => f.key === k).map((f) => f.value);
}

export function first(fields: HeaderField[], key: string): string | null {
  return values(fields, key)[0] ?? null;
}

/**
 * Normalizes a Message-ID for comparison: the part inside the first <...>, without white space,
 * lower-cased (mailers and ISPs are known to change its case). Null when empty.
 */
export function normalizeMessageId(raw: string | null): string | null {
  if (!raw) return null;
  const m = /<([^>]*)>/.exec(raw);
  const id = (m ? m[1]! : raw).replace(/\s+/g, '').toLowerCase();
  return id.length > 0 ? id : null;
}

/** The e-mail addresses in an address-list field, lower-cased, groups flattened. */
export function addressesIn(value: string): string[] {
  const out: string[] = [];
  const walk = (list: ReturnType<typeof addressparser>): void => {
    for (const a of list) {
      if ('group' in a && Array.isArray(a.group)) walk(a.group);
      else if ('address' in a && a.address && a.address.includes('@')) out.push(a.address.toLowerCase());
    }
  };
  try {
    walk(addressparser(value));
  } catch {
    // An address list too broken to parse names nobody: the caller falls back to unknownRecipient.
  }
  return out;
}

/** The addresses named by `for <addr>` in Received headers (how many ISPs record the envelope). */
export function receivedFor(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(/\bfor\s+<?([^\s<>;@]+@[^\s<>;]+?)>?\s*(?:;|$|\s)/gi)) out.push(m[1]!.toLowerCase());
  return out;
}

/** A header value for display: encoded words decoded, never throws. */
export function decodeForDisplay(value: string | null): string | null {
  if (value === null) return null;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
