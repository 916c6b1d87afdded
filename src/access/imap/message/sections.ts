/**
 * BODY[section]: which bytes a section names (RFC 3501 section 6.4.5), and sending them as a literal
 * in wire form (every bare LF as CRLF), with <partial> counted in wire octets.
 */
import type { WireSink } from '../../pop3/wire.js';
import type { Section } from '../parser/types.js';
import type { MimePart } from './structure-types.js';

/** Where a section's bytes are: a range of the blob (with its wire size), or bytes built here. */
export type SectionBytes = { kind: 'range'; start: number; end: number; wireSize: number } | { kind: 'bytes'; data: Buffer };

/** Part n of a part (RFC 3501: a non-multipart message's only part is 1; message/rfc822 descends). */
function child(part: MimePart, n: number): MimePart | undefined {
  if (part.message) return child(part.message, n);
  if (part.children.length > 0) return part.children[n - 1];
  if (part.messageRoot && n === 1) return part;
  return undefined;
}

/** The message a HEADER/TEXT section refers to: the root, or an embedded message/rfc822. */
function messageOf(part: MimePart): MimePart | undefined {
  if (part.messageRoot) return part;
  return part.message;
}

/**
 * The bytes of `section`, or null when it names nothing (a part that does not exist): FETCH then
 * answers NIL. `readHeader` gives a header range's bytes (bounded by the analyzer's header limit).
 */
export async function locateSection(
  root: MimePart,
  section: Section,
  size: number,
  wireSize: number,
  readHeader: (start: number, end: number) => Promise<Buffer>,
): Promise<SectionBytes | null> {
  let part: MimePart | undefined = root;
  for (const n of section.part) {
    part = part && child(part, n);
    if (!part) return null;
  }
  if (section.text === null) {
    if (section.part.length === 0) return { kind: 'range', start: 0, end: size, wireSize };
    return { kind: 'range', start: part.bodyStart, end: part.end, wireSize: part.bodyWire };
  }
  if (section.text === 'MIME') return { kind: 'range', start: part.headerStart, end: part.bodyStart, wireSize: part.headerWire };
  const msg = section.part.length === 0 ? root : messageOf(part);
  if (!msg) return null;
  if (section.text === 'HEADER') return headerBytes(msg);
  if (section.text === 'TEXT') return { kind: 'range', start: msg.bodyStart, end: msg.end, wireSize: msg.bodyWire };
  const header = msg.rawHeader !== undefined ? Buffer.from(msg.rawHeader, 'latin1') : await readHeader(msg.headerStart, msg.bodyStart);
  return { kind: 'bytes', data: filterHeader(header, section.fields, section.text === 'HEADER.FIELDS.NOT') };
}

/** A message's header block: from the structure when it kept it, else as a range of the blob. */
export function headerBytes(msg: MimePart): SectionBytes {
  if (msg.rawHeader !== undefined) return { kind: 'bytes', data: new CrlfEncoder().encode(Buffer.from(msg.rawHeader, 'latin1')) };
  return { kind: 'range', start: msg.headerStart, end: msg.bodyStart, wireSize: msg.headerWire };
}

/** HEADER.FIELDS (NOT): the matching fields, in wire form, followed by the blank line. */
export function filterHeader(header: Buffer, names: string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toUpperCase()));
  const text = header.toString('latin1');
  const lines = text.split(/(?<=\n)/);
  const kept: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line === '\n' || line === '\r\n') break;
    if (line[0] !== ' ' && line[0] !== '\t') {
      const colon = line.indexOf(':');
      const name = (colon > 0 ? line.slice(0, colon) : line).trim().toUpperCase();
      keep = wanted.has(name) !== not && colon > 0;
    }
    if (keep) kept.push(line.endsWith('\r\n') ? line : line.endsWith('\n') ? line.slice(0, -1) + '\r\n' : line + '\r\n');
  }
  return Buffer.from(kept.join('') + '\r\n', 'latin1');
}

/** Turns stored bytes into wire bytes: every LF not preceded by CR becomes CRLF. */
export class CrlfEncoder {
  private lastWasCr = false;

  encode(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    let i = chunk.indexOf(10);
    while (i !== -1) {
      const before = i > 0 ? chunk[i - 1] === 13 : this.lastWasCr;
      if (!before) {
        parts.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
      }
      i = chunk.indexOf(10, i + 1);
    }
    if (chunk.length) this.lastWasCr = chunk[chunk.length - 1] === 13;
    if (start === 0) return chunk;
    parts.push(chunk.subarray(start));
    return Buffer.concat(parts);
  }

  /**
   * The same wire form, appended to `out` (which copies) instead of built as a new buffer, and at
   * most `max` octets of it. Returns the octets appended.
   */
  encodeInto(chunk: Buffer, out: WireSink, max: number): number {
    let n = 0;
    const put = (src: Buffer, from: number, to: number) => {
      const end = Math.min(to, from + (max - n));
      if (end > from) out.append(src, from, end);
      n += end - from > 0 ? end - from : 0;
    };
    let start = 0;
    let i = chunk.indexOf(10);
    while (i !== -1 && n < max) {
      const before = i > 0 ? chunk[i - 1] === 13 : this.lastWasCr;
      if (!before) {
        put(chunk, start, i);
        put(CRLF, 0, 2);
        start = i + 1;
      }
      i = chunk.indexOf(10, i + 1);
    }
    put(chunk, start, chunk.length);
    if (chunk.length) this.lastWasCr = chunk[chunk.length - 1] === 13;
    return n;
  }
}
const CRLF = Buffer.from('\r\n');

/**
 * Sends `{n}` CRLF and the section's wire bytes [from, from + n) to `send`, where n is what
 * remains of the partial window. Reads only as far as needed.
 */
export async function sendSection(
  bytes: SectionBytes,
  partial: { start: number; length: number } | null,
  read: (start: number, end: number) => Iterable<Buffer> | AsyncIterable<Buffer>,
  send: (data: Buffer | string) => Promise<void>,
  out?: { sink: WireSink; sent(): Promise<void> },
): Promise<void> {
  const total = bytes.kind === 'bytes' ? bytes.data.length : bytes.wireSize;
  const from = partial ? Math.min(partial.start, total) : 0;
  const count = partial ? Math.min(partial.length, total - from) : total;
  await send(`{${count}}\r\n`);
  if (count === 0) return;
  if (bytes.kind === 'bytes') return send(bytes.data.subarray(from, from + count));
  const encoder = new CrlfEncoder();
  if (out && from === 0) {
    // Encoded straight into the connection's output blocks: no buffer per chunk.
    if (bytes.end <= bytes.start) throw new Error('section range is empty but its size is not');
    let rest = count;
    for await (const raw of read(bytes.start, bytes.end)) {
      rest -= encoder.encodeInto(raw as Buffer, out.sink, rest);
      await out.sent();
      if (rest === 0) break;
    }
    if (rest > 0) await send(Buffer.alloc(rest, 0x20));
    return;
  }
  let skip = from;
  let left = count;
  if (bytes.end <= bytes.start) throw new Error('section range is empty but its size is not');
  for await (const raw of read(bytes.start, bytes.end)) {
    let chunk = encoder.encode(raw as Buffer);
    if (skip > 0) {
      const s = Math.min(skip, chunk.length);
      chunk = chunk.subarray(s);
      skip -= s;
    }
    if (chunk.length === 0) continue;
    if (chunk.length > left) chunk = chunk.subarray(0, left);
    left -= chunk.length;
    await send(chunk);
    if (left === 0) break;
  }
  // The blob changed size under us (it must not): keep the protocol in step rather than hang.
  if (left > 0) await send(Buffer.alloc(left, 0x20));
}
