/**
 * Computes a message's MIME structure by streaming its stored bytes through mailsplit once:
 * byte ranges and wire sizes of every header and body, the fields BODYSTRUCTURE reports, and the
 * ENVELOPE of the message and of every embedded message/rfc822. Never holds a body in memory.
 *
 * mailsplit passes every input octet through exactly once (headers, then body/data chunks), so a
 * running offset over its output gives exact positions in the blob.
 */
import { Splitter } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import type { Readable, Transform } from 'node:stream';
import { parseHeaderBlock, type HeaderField } from '../../../pipeline/header-fields.js';
import { buildEnvelope } from './envelope.js';
import type { MimePart } from './structure-types.js';

/** Reads stored bytes [start, end). */
export type RangeReader = (start: number, end: number) => Readable;

const LF = 10;
const CR = 13;
const MAX_NESTING = 8;
/** Header blocks up to this size are kept in the structure (most are 1-4 KB). */
const KEEP_HEADER = 16 * 1024;

interface SplitNode {
  type: 'node';
  parentNode: SplitNode | false;
  contentType: string | false;
  encoding: string | false;
  getHeaders(): Buffer;
}
interface SplitData {
  type: 'body' | 'data';
  node: SplitNode;
  value: Buffer;
}

interface Tracking {
  part: MimePart;
  parent: Tracking | null;
  bodyStartWire: number;
  headerStartWire: number;
  endWire: number;
  lastByte: number;
}

/** The structure of the message stored in [start, end). */
export async function analyzeMessage(read: RangeReader, start: number, end: number, depth = 0): Promise<MimePart> {
  let root: Tracking | null = null;
  try {
    root = await split(read, start, end);
  } catch {
    // A message mailsplit refuses (absurd header, too many parts) is served as one text part.
  }
  if (!root) return fallback(start, end);
  const part = root.part;
  if (depth < MAX_NESTING) await analyzeEmbedded(read, part, depth);
  return part;
}

async function analyzeEmbedded(read: RangeReader, part: MimePart, depth: number): Promise<void> {
  for (const child of part.children) await analyzeEmbedded(read, child, depth);
  const plain = ['7bit', '8bit', 'binary'].includes(part.encoding.toLowerCase());
  if (part.type === 'message' && part.subtype === 'rfc822' && plain && !part.messageRoot) {
    part.message = await analyzeMessage(read, part.bodyStart, part.end, depth + 1);
  }
}

async function split(read: RangeReader, start: number, end: number): Promise<Tracking | null> {
  if (end <= start) return null;
  const splitter = new Splitter({ ignoreEmbedded: true });
  const byNode = new Map<SplitNode, Tracking>();
  const found: { root: Tracking | null } = { root: null };
  let off = start;
  let wire = 0;
  let prev = -1;

  const count = (buf: Buffer): { wire: number; lfs: number } => {
    let lfs = 0;
    let bare = 0;
    let i = buf.indexOf(LF);
    while (i !== -1) {
      lfs++;
      const before = i === 0 ? prev : buf[i - 1];
      if (before !== CR) bare++;
      i = buf.indexOf(LF, i + 1);
    }
    if (buf.length) prev = buf[buf.length - 1]!;
    return { wire: buf.length + bare, lfs };
  };

  splitter.on('data', (chunk: SplitNode | SplitData) => {
    if (chunk.type === 'node') {
      const header = chunk.getHeaders();
      const c = count(header);
      const parent = chunk.parentNode ? (byNode.get(chunk.parentNode) ?? null) : null;
      const part = describe(chunk, parseHeaderBlock(header), off, off + header.length, parent === null);
      part.headerWire = c.wire;
      if (part.messageRoot && header.length <= KEEP_HEADER) part.rawHeader = header.toString('latin1');
      const t: Tracking = { part, parent, headerStartWire: wire, bodyStartWire: wire + c.wire, endWire: wire + c.wire, lastByte: LF };
      byNode.set(chunk, t);
      if (parent) parent.part.children.push(part);
      else found.root ??= t;
      off += header.length;
      wire += c.wire;
      for (let p = parent; p; p = p.parent) {
        p.part.end = off;
        p.endWire = wire;
      }
      return;
    }
    const t = byNode.get(chunk.node);
    const c = count(chunk.value);
    off += chunk.value.length;
    wire += c.wire;
    if (!t) return;
    if (chunk.type === 'body') {
      t.part.bodyLines += c.lfs;
      if (chunk.value.length) t.lastByte = chunk.value[chunk.value.length - 1]!;
    }
    for (let p: Tracking | null = t; p; p = p.parent) {
      p.part.end = off;
      p.endWire = wire;
    }
  });

  const input = read(start, end);
  await new Promise<void>((resolve, reject) => {
    const events = splitter as unknown as Transform;
    events.on('end', resolve);
    events.on('error', reject);
    input.on('error', reject);
    input.pipe(splitter);
  });
  for (const t of byNode.values()) {
    t.part.bodyWire = t.endWire - t.bodyStartWire;
    if (t.part.end > t.part.bodyStart && t.lastByte !== LF) t.part.bodyLines++;
  }
  const root = found.root;
  if (root) {
    // The root spans the whole range even if mailsplit's last chunk belonged to a child.
    root.part.end = end;
    root.part.bodyWire = wire - root.bodyStartWire;
  }
  return root;
}

function describe(node: SplitNode, fields: HeaderField[], headerStart: number, bodyStart: number, messageRoot: boolean): MimePart {
  const get = (k: string) => fields.find((f) => f.key === k)?.value ?? null;
  const ct = parseValue(get('content-type') ?? 'text/plain; charset=us-ascii');
  let [type, subtype] = (ct.value || 'text/plain').toLowerCase().split('/') as [string, string | undefined];
  if (!subtype) [type, subtype] = ['text', 'plain'];
  const params = ct.params;
  if (type === 'text' && !params.some(([k]) => k === 'charset')) params.push(['charset', 'us-ascii']);
  const dispositionRaw = get('content-disposition');
  const disposition = dispositionRaw ? parseValue(dispositionRaw) : null;
  const language = get('content-language');
  return {
    headerStart,
    bodyStart,
    end: bodyStart,
    headerWire: 0,
    bodyWire: 0,
    bodyLines: 0,
    type,
    subtype,
    params,
    id: get('content-id'),
    description: get('content-description'),
    encoding: (node.encoding || get('content-transfer-encoding') || '7bit').toLowerCase(),
    md5: get('content-md5'),
    disposition: disposition && disposition.value ? { type: disposition.value.toLowerCase(), params: disposition.params } : null,
    language: language ? language.split(',').map((l) => l.trim()).filter(Boolean) : null,
    location: get('content-location'),
    messageRoot,
    envelope: messageRoot ? buildEnvelope(fields) : undefined,
    children: [],
  };
}

function parseValue(raw: string): { value: string; params: Array<[string, string]> } {
  try {
    const parsed = libmime.parseHeaderValue(raw);
    return { value: String(parsed.value ?? ''), params: Object.entries(parsed.params ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]) };
  } catch {
    return { value: raw.split(';')[0]!.trim(), params: [] };
  }
}

function fallback(start: number, end: number): MimePart {
  return {
    headerStart: start,
    bodyStart: start,
    end,
    headerWire: 0,
    bodyWire: 0,
    bodyLines: 0,
    type: 'text',
    subtype: 'plain',
    params: [['charset', 'us-ascii']],
    id: null,
    description: null,
    encoding: '7bit',
    md5: null,
    disposition: null,
    language: null,
    location: null,
    messageRoot: true,
    envelope: buildEnvelope([]),
    children: [],
  };
}
