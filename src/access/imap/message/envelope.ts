/**
 * ENVELOPE (RFC 3501 section 7.4.2): raw header values, addresses split into (name adl mailbox
 * host), groups as RFC 3501 writes them; Sender and Reply-To default to From.
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { HeaderField } from '../../../pipeline/header-fields.js';
import { list, nstr } from '../wire.js';
import type { Envelope, EnvelopeAddress } from './structure-types.js';

export function buildEnvelope(fields: HeaderField[]): Envelope {
  const get = (k: string) => fields.find((f) => f.key === k)?.value ?? null;
  const from = addresses(get('from'));
  const sender = addresses(get('sender'));
  const replyTo = addresses(get('reply-to'));
  return {
    date: get('date'),
    subject: get('subject'),
    from,
    sender: sender.length ? sender : from,
    replyTo: replyTo.length ? replyTo : from,
    to: addresses(get('to')),
    cc: addresses(get('cc')),
    bcc: addresses(get('bcc')),
    inReplyTo: get('in-reply-to'),
    messageId: get('message-id'),
  };
}

type Parsed = ReturnType<typeof addressparser>;

function addresses(value: string | null): EnvelopeAddress[] {
  if (!value) return [];
  let parsed: Parsed;
  try {
    parsed = addressparser(value);
  } catch {
    return [];
  }
  const out: EnvelopeAddress[] = [];
  for (const a of parsed) {
    if ('group' in a && Array.isArray(a.group)) {
      out.push([null, null, a.name || '', null]);
      for (const m of a.group) if ('address' in m) out.push(one(m.name, m.address));
      out.push([null, null, null, null]);
    } else if ('address' in a) {
      out.push(one(a.name, a.address));
    }
  }
  return out;
}

function one(name: string | undefined, address: string | undefined): EnvelopeAddress {
  const at = address ? address.lastIndexOf('@') : -1;
  const mailbox = address ? (at >= 0 ? address.slice(0, at) : address) : null;
  const host = address && at >= 0 ? address.slice(at + 1) : null;
  // A mailbox without a host would read as a group marker; RFC 3501 suggests a placeholder host.
  return [name || null, null, mailbox || null, host ?? (mailbox ? 'missing-domain' : null)];
}

export function formatEnvelope(e: Envelope): string {
  // env-from = "(" 1*address ")": addresses follow each other without a space (RFC 3501 section 9).
  const addrs = (a: EnvelopeAddress[]) => (a.length ? `(${a.map((x) => list(x.map(nstr))).join('')})` : 'NIL');
  return list([nstr(e.date), nstr(e.subject), addrs(e.from), addrs(e.sender), addrs(e.replyTo), addrs(e.to), addrs(e.cc), addrs(e.bcc), nstr(e.inReplyTo), nstr(e.messageId)]);
}
