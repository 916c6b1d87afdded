/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, response items 7.4.2). Messages are read from the
 * store in batches; bodies are streamed from the blob store in wire form (bare LF → CRLF), so the
 * literal sizes equal RFC822.SIZE. ENVELOPE/BODYSTRUCTURE and section offsets come from the cached
 * structure (message/structure-cache.ts).
 */
import type { ImapMessage } from '../../../store/interfaces.js';
import { formatBodyStructure } from '../message/bodystructure.js';
import { formatEnvelope } from '../message/envelope.js';
import { headerBytes, locateSection, sendSection, type SectionBytes } from '../message/sections.js';
import { ReadAhead, readFileRange } from '../message/read-ahead.js';
import type { MimePart } from '../message/structure-types.js';
import type { FetchItem, ImapCommand, Section } from '../parser/types.js';
import type { SelectedMailbox } from '../selected.js';
import type { CommandHandler, ImapSession } from '../state.js';
import { imapDateTime, list } from '../wire.js';

type Cmd = Extract<ImapCommand, { name: 'FETCH' }>;

const BATCH = 200;

export const fetch: CommandHandler<Cmd> = {
  states: ['selected'],
  expungeAllowed: false,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'selected') return;
    const selected = session.state.selected;
    if (!cmd.uid && selected.outOfRange(cmd.set)) return reply.bad('Message sequence number out of range');
    const items = [...cmd.items];
    if (cmd.uid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
    const targets = selected.resolve(cmd.set, cmd.uid);
    const marksSeen = !selected.readOnly && items.some((i) => (i.kind === 'BODY[]' && !i.peek) || i.kind === 'RFC822' || i.kind === 'RFC822.TEXT');
    if (marksSeen) {
      const unseen = targets.filter((t) => !selected.flags.get(t.uid)?.includes('\\Seen')).map((t) => t.uid);
      if (unseen.length) {
        await session.deps.store.storeFlags(selected.mailbox.id, unseen, 'add', ['\\Seen']);
        selected.announce();
        // RFC 3501 6.4.5: the FETCH response then carries the new FLAGS.
        if (!items.some((i) => i.kind === 'FLAGS')) items.push({ kind: 'FLAGS' });
      }
    }
    const structured = items.some(needsStructure);
    const bodies = items.some(needsBody);
    for (let i = 0; i < targets.length; i += BATCH) {
      const batch = targets.slice(i, i + BATCH);
      const found = await session.deps.store.messages(selected.mailbox.id, batch.map((t) => t.uid));
      // Structures of a new mailbox are computed several at a time (the work is mostly reading).
      const structures: Array<MimePart | null> = new Array<MimePart | null>(found.length).fill(null);
      if (structured) await inParallel(found, 8, async (m, index) => void (structures[index] = await session.deps.structures.get(m.blob, m.size)));
      const ahead = bodies ? new ReadAhead((b) => session.deps.blobs.locate(b), found) : null;
      const rows = new Map(found.map((m, index) => [m.uid, { m, index }]));
      for (const t of batch) {
        const row = rows.get(t.uid);
        // Expunged by another session and not yet reported: RFC 2180 4.1.2 lets us skip it.
        if (!row) continue;
        const { m } = row;
        if (marksSeen && !m.flags.includes('\\Seen')) m.flags.push('\\Seen');
        await sendOne(session, selected, t.seq, m, items, structures[row.index]!, ahead ? await ahead.get(row.index) : null);
        if (bodies) session.fetches.note(selected.mailbox.owner, m.blob);
      }
    }
    await reply.ok(`${cmd.uid ? 'UID ' : ''}FETCH completed`);
  },
};

/** Items that send message text beyond the header (which the cached structure keeps). */
const needsBody = (i: FetchItem) =>
  i.kind === 'RFC822' || i.kind === 'RFC822.TEXT' || (i.kind === 'BODY[]' && !(i.section.part.length === 0 && i.section.text?.startsWith('HEADER')));

async function inParallel<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

const needsStructure = (i: FetchItem) =>
  i.kind === 'ENVELOPE' || i.kind === 'BODYSTRUCTURE' || i.kind === 'BODY' || i.kind === 'RFC822.HEADER' || i.kind === 'RFC822.TEXT' ||
  (i.kind === 'BODY[]' && (i.section.part.length > 0 || i.section.text !== null));

/** `structure` is the message's cached structure when an item needs it (fetched for the batch). */
async function sendOne(
  session: ImapSession,
  selected: SelectedMailbox,
  seq: number,
  m: ImapMessage,
  items: FetchItem[],
  structure: MimePart | null,
  bytes: Buffer | null,
): Promise<void> {
  const { deps, conn } = session;
  // Read ahead whole (small messages), or read from the file in chunks (each copied into the output before the next).
  const read = (start: number, end: number) => (bytes ? [bytes.subarray(start, end)] : readFileRange(deps.blobs.locate(m.blob), start, end));
  const readHeader = async (start: number, end: number) => (end > start ? readRange(deps.blobs.read(m.blob, { start, end: end - 1 })) : Buffer.alloc(0));
  const whole: SectionBytes = { kind: 'range', start: 0, end: m.size, wireSize: m.wireSize };
  let text = `* ${seq} FETCH (`;
  let first = true;
  const put = (s: string) => {
    text += (first ? '' : ' ') + s;
    first = false;
  };
  const literal = async (label: string, bytes: SectionBytes | null, partial: { start: number; length: number } | null) => {
    put(`${label} `);
    if (!bytes || (bytes.kind === 'range' && bytes.end <= bytes.start && bytes.wireSize === 0)) {
      text += bytes ? '""' : 'NIL';
      return;
    }
    await conn.send(text);
    text = '';
    await sendSection(bytes, partial, read, (d) => conn.send(d), conn);
  };
  for (const item of items) {
    switch (item.kind) {
      case 'UID':
        put(`UID ${m.uid}`);
        break;
      case 'FLAGS':
        // The client now knows these flags; only then may the view take them (else a change by
        // another session would never be reported).
        selected.flags.set(m.uid, m.flags);
        put(`FLAGS ${list(m.flags)}`);
        break;
      case 'INTERNALDATE':
        put(`INTERNALDATE ${imapDateTime(m.internalDate)}`);
        break;
      case 'RFC822.SIZE':
        put(`RFC822.SIZE ${m.wireSize}`);
        break;
      case 'ENVELOPE':
        put(`ENVELOPE ${formatted(structure!, 'envelope', () => formatEnvelope(structure!.envelope!))}`);
        break;
      case 'BODYSTRUCTURE':
        put(`BODYSTRUCTURE ${formatted(structure!, 'bodystructure', () => formatBodyStructure(structure!, true))}`);
        break;
      case 'BODY':
        put(`BODY ${formatted(structure!, 'body', () => formatBodyStructure(structure!, false))}`);
        break;
      case 'RFC822':
        await literal('RFC822', whole, null);
        break;
      case 'RFC822.HEADER':
        await literal('RFC822.HEADER', headerBytes(structure!), null);
        break;
      case 'RFC822.TEXT':
        await literal('RFC822.TEXT', { kind: 'range', start: structure!.bodyStart, end: m.size, wireSize: structure!.bodyWire }, null);
        break;
      case 'BODY[]': {
        const bytes = structure ? await locateSection(structure, item.section, m.size, m.wireSize, readHeader) : whole;
        const label = `BODY[${sectionText(item.section)}]${item.partial ? `<${item.partial.start}>` : ''}`;
        await literal(label, bytes, item.partial);
        break;
      }
    }
  }
  await conn.send(text + ')\r\n');
}


/**
 * ENVELOPE / BODYSTRUCTURE / BODY as sent, kept beside the cached structure object: a client
 * listing a mailbox again gets strings already built. Dropped with the structure (WeakMap).
 */
const formattedCache = new WeakMap<MimePart, Partial<Record<'envelope' | 'bodystructure' | 'body', string>>>();

function formatted(root: MimePart, what: 'envelope' | 'bodystructure' | 'body', make: () => string): string {
  let entry = formattedCache.get(root);
  if (!entry) formattedCache.set(root, (entry = {}));
  return (entry[what] ??= make());
}

/** The section as the response names it (RFC 3501: same as requested, field names as given). */
export function sectionText(s: Section): string {
  const parts = s.part.join('.');
  if (!s.text) return parts;
  const text = s.text.startsWith('HEADER.FIELDS') ? `${s.text} (${s.fields.join(' ')})` : s.text;
  return parts ? `${parts}.${text}` : text;
}

async function readRange(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

