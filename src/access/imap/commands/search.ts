/**
 * SEARCH / UID SEARCH (RFC 3501 6.4.4): every key, evaluated per message. Flags come from the
 * session's view; sizes and dates from the store; header keys from the cached structure's header
 * range (values with encoded words decoded); BODY/TEXT search every text part with its transfer
 * encoding and charset decoded (message/text-search.ts), case-insensitively.
 */
import { decodeForDisplay, parseHeaderBlock, type HeaderField } from '../../../pipeline/header-fields.js';
import type { ImapMessage } from '../../../store/interfaces.js';
import { partContains, searchables } from '../message/text-search.js';
import { inSequenceSet } from '../parser/sequence.js';
import type { ImapCommand, SearchKey } from '../parser/types.js';
import type { SelectedMailbox } from '../selected.js';
import type { CommandHandler, ImapSession } from '../state.js';

type Cmd = Extract<ImapCommand, { name: 'SEARCH' }>;

const CHARSETS = new Set(['UTF-8', 'US-ASCII']);

export const search: CommandHandler<Cmd> = {
  states: ['selected'],
  expungeAllowed: false,
  async run(session, cmd, reply) {
    if (session.state.kind !== 'selected') return;
    if (cmd.charset && !CHARSETS.has(cmd.charset)) return reply.no(`Unsupported charset ${cmd.charset}`, 'BADCHARSET (UTF-8 US-ASCII)');
    const selected = session.state.selected;
    const rows = needsRow(cmd.criteria)
      ? new Map((await session.deps.store.messages(selected.mailbox.id, selected.uids)).map((m) => [m.uid, m]))
      : new Map<number, ImapMessage>();
    const hits: number[] = [];
    const maxUid = selected.uids.length ? selected.uids[selected.uids.length - 1]! : 0;
    for (let i = 0; i < selected.uids.length; i++) {
      const uid = selected.uids[i]!;
      const facts = new Facts(session, selected, i + 1, uid, maxUid, rows.get(uid));
      if (await matches(cmd.criteria, facts)) hits.push(cmd.uid ? uid : i + 1);
    }
    await reply.untagged(`SEARCH${hits.map((h) => ` ${h}`).join('')}`);
    await reply.ok(`${cmd.uid ? 'UID ' : ''}SEARCH completed`);
  },
};

function needsRow(k: SearchKey): boolean {
  switch (k.op) {
    case 'and':
      return k.keys.some(needsRow);
    case 'or':
      return needsRow(k.a) || needsRow(k.b);
    case 'not':
      return needsRow(k.key);
    case 'header':
    case 'body':
    case 'text':
    case 'date':
    case 'size':
      return true;
    default:
      return false;
  }
}

/** What one message offers to the keys, loaded on first use. */
class Facts {
  private header: HeaderField[] | null = null;

  constructor(
    private readonly session: ImapSession,
    readonly selected: SelectedMailbox,
    readonly seq: number,
    readonly uid: number,
    readonly maxUid: number,
    readonly row: ImapMessage | undefined,
  ) {}

  get flags(): string[] {
    return this.selected.flags.get(this.uid) ?? [];
  }

  async headers(): Promise<HeaderField[]> {
    if (this.header || !this.row) return this.header ?? [];
    const root = await this.session.deps.structures.get(this.row.blob, this.row.size);
    const raw = root.rawHeader !== undefined ? Buffer.from(root.rawHeader, 'latin1') : root.bodyStart > 0 ? await collect(this.session.deps.blobs.read(this.row.blob, { start: 0, end: root.bodyStart - 1 })) : Buffer.alloc(0);
    this.header = parseHeaderBlock(raw);
    return this.header;
  }

  /** Whether any text part, decoded (transfer encoding and charset), contains `needle`. */
  async bodyContains(needle: string): Promise<boolean> {
    if (!this.row) return false;
    const want = needle.toLowerCase();
    if (want === '') return true;
    const { blob, size } = this.row;
    const root = await this.session.deps.structures.get(blob, size);
    const read = (start: number, end: number) => this.session.deps.blobs.read(blob, { start, end: end - 1 });
    for (const part of searchables(root)) if (await partContains(part, want, read)) return true;
    return false;
  }
}

async function matches(k: SearchKey, f: Facts): Promise<boolean> {
  switch (k.op) {
    case 'and':
      for (const key of k.keys) if (!(await matches(key, f))) return false;
      return true;
    case 'or':
      return (await matches(k.a, f)) || (await matches(k.b, f));
    case 'not':
      return !(await matches(k.key, f));
    case 'all':
      return true;
    case 'none':
      return false;
    case 'flag':
      return f.flags.includes(k.flag) === k.set;
    case 'seq':
      return inSequenceSet(k.set, f.seq, f.selected.exists);
    case 'uid':
      return inSequenceSet(k.set, f.uid, f.maxUid);
    case 'size':
      return f.row ? (k.cmp === 'larger' ? f.row.wireSize > k.octets : f.row.wireSize < k.octets) : false;
    case 'date': {
      let day: string | null;
      if (k.of === 'internal') day = f.row ? new Date(f.row.internalDate).toISOString().slice(0, 10) : null;
      else {
        const date = (await f.headers()).find((h) => h.key === 'date')?.value;
        const ms = date ? Date.parse(date.replace(/\([^)]*\)/g, '')) : NaN;
        day = Number.isNaN(ms) ? null : new Date(ms).toISOString().slice(0, 10);
      }
      if (!day) return false;
      return k.cmp === 'before' ? day < k.date : k.cmp === 'on' ? day === k.date : day >= k.date;
    }
    case 'header': {
      const field = k.field.toLowerCase();
      const values = (await f.headers()).filter((h) => h.key === field).map((h) => decodeForDisplay(h.value) ?? '');
      const needle = k.value.toLowerCase();
      return values.some((v) => v.toLowerCase().includes(needle));
    }
    case 'body':
      return f.bodyContains(k.value);
    case 'text': {
      const needle = k.value.toLowerCase();
      if ((await f.headers()).some((h) => (decodeForDisplay(h.value) ?? '').toLowerCase().includes(needle))) return true;
      return f.bodyContains(k.value);
    }
  }
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
