/**
 * Dedupe keys of a message.
 *
 * The content fingerprint covers the body and the headers the *author's* software wrote (an allow
 * list), so per-copy trace headers that ISPs and relays add (Received, Delivered-To, X-Original-To,
 * Return-Path, spam scores...) and the Message-ID itself do not change it: two copies of one
 * message fetched from two ISP mailboxes fingerprint the same, even when the sender gave each copy
 * its own Message-ID.
 */
import { createHash } from 'node:crypto';
import { type HeaderField, normalizeMessageId, first, values } from './header-fields.js';

export const ORIGIN_HEADERS = [
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'subject',
  'date',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

export function contentFingerprint(fields: HeaderField[], bodyHash: string): string {
  const h = createHash('sha256');
  for (const key of ORIGIN_HEADERS) {
    for (const v of values(fields, key)) h.update(`${key}:${v.replace(/\s+/g, ' ').trim()}\n`);
  }
  h.update(`body:${bodyHash}`);
  return h.digest('hex');
}

export function messageIdOf(fields: HeaderField[]): string | null {
  return normalizeMessageId(first(fields, 'message-id'));
}
