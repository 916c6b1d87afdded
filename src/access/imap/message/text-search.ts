/**
 * Text search for SEARCH BODY/TEXT: every text part of a message (embedded messages included),
 * transfer encoding undone (base64, quoted-printable, by mailsplit's decoders) and charset turned
 * into Unicode (libmime), compared case-insensitively. Streams each part; nothing is held whole.
 */
import { MimeNode } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { Writable, type Readable } from 'node:stream';
import type { MimePart } from './structure-types.js';

/** A stretch of stored bytes to search, with how to decode it. */
export interface Searchable {
  start: number;
  end: number;
  encoding: string;
  charset: string;
}

/**
 * What BODY/TEXT search in a structure, in order: every text/* leaf, and the header of every
 * embedded message (it is body text of the message around it).
 */
export function searchables(part: MimePart, top = true): Searchable[] {
  if (part.message) return searchables(part.message, false);
  const own: Searchable[] = part.messageRoot && !top ? [{ start: part.headerStart, end: part.bodyStart, encoding: '7bit', charset: 'utf-8' }] : [];
  if (part.children.length) return [...own, ...part.children.flatMap((c) => searchables(c, false))];
  if (part.type !== 'text') return own;
  const charset = part.params.find(([k]) => k === 'charset')?.[1] ?? 'us-ascii';
  return [...own, { start: part.bodyStart, end: part.end, encoding: part.encoding, charset }];
}

/** A transfer decoder for `encoding` (mailsplit builds it from a header line). */
function transferDecoder(encoding: string): NodeJS.ReadWriteStream {
  const node = new MimeNode(false);
  node.addHeaderChunk(Buffer.from(`Content-Transfer-Encoding: ${encoding}\r\n`));
  node.parseHeaders();
  return node.getDecoder() as unknown as NodeJS.ReadWriteStream;
}

class Found extends Error {}

/**
 * Whether the decoded text of `part` contains `needle` (already lower-cased). `read` gives the
 * stored bytes of a range.
 */
export async function partContains(part: Searchable, needle: string, read: (start: number, end: number) => Readable): Promise<boolean> {
  if (part.end <= part.start) return false;
  const text = new StringDecoder('utf8');
  let carry = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const hay = (carry + text.write(chunk)).toLowerCase();
      if (hay.includes(needle)) return done(new Found());
      carry = hay.slice(Math.max(0, hay.length - needle.length + 1));
      done();
    },
  });
  try {
    await pipeline(read(part.start, part.end), transferDecoder(part.encoding), libmime.createDecodeStream(part.charset), sink);
  } catch (e) {
    if (e instanceof Found) return true;
    // A part too broken to decode simply does not match.
    return false;
  }
  return (carry + text.end()).toLowerCase().includes(needle);
}
