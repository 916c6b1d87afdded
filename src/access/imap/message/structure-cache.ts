/**
 * The MIME structure of a blob, computed once (analyze.ts) and kept in the store, so FETCH of
 * ENVELOPE / BODYSTRUCTURE / sections never re-parses. An in-memory LRU (bounded in bytes) in front
 * saves the JSON round trip for a client walking a mailbox; concurrent requests share one parse.
 */
import type { ImapMailboxStore } from '../../../store/interfaces.js';
import { analyzeMessage, type RangeReader } from './analyze.js';
import { STRUCTURE_VERSION, type CachedStructure, type MimePart } from './structure-types.js';

/** Structures kept in memory, by their JSON size: ~32 MB holds a 5,000-message mailbox walk. */
const MEMORY_BYTES = 32 * 1024 * 1024;

export class StructureCache {
  private readonly memory = new Map<string, { part: MimePart; bytes: number }>();
  private memoryBytes = 0;
  private readonly pending = new Map<string, Promise<{ part: MimePart; bytes: number }>>();
  private unsaved: Array<{ blob: string; json: string }> = [];
  private saving: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<ImapMailboxStore, 'structure' | 'saveStructures'>,
    private readonly read: (blob: string) => RangeReader,
  ) {}

  async get(blob: string, size: number): Promise<MimePart> {
    const hit = this.memory.get(blob);
    if (hit) {
      this.memory.delete(blob);
      this.memory.set(blob, hit);
      return hit.part;
    }
    let p = this.pending.get(blob);
    if (!p) {
      p = this.load(blob, size).finally(() => this.pending.delete(blob));
      this.pending.set(blob, p);
    }
    const { part, bytes } = await p;
    if (!this.memory.has(blob)) {
      this.memory.set(blob, { part, bytes });
      this.memoryBytes += bytes;
      for (const [key, entry] of this.memory) {
        if (this.memoryBytes <= MEMORY_BYTES) break;
        this.memory.delete(key);
        this.memoryBytes -= entry.bytes;
      }
    }
    return part;
  }

  private async load(blob: string, size: number): Promise<{ part: MimePart; bytes: number }> {
    const json = await this.store.structure(blob);
    if (json) {
      const cached = JSON.parse(json) as CachedStructure;
      if (cached.v === STRUCTURE_VERSION) return { part: cached.root, bytes: json.length };
    }
    const root = await analyzeMessage(this.read(blob), 0, size);
    const text = JSON.stringify({ v: STRUCTURE_VERSION, root } satisfies CachedStructure);
    this.queueSave(blob, text);
    return { part: root, bytes: text.length };
  }

  /**
   * Structures computed meanwhile are written together, soon after, in one transaction: a FETCH
   * over a new mailbox then costs one commit per batch, not one per message. Losing a write (a
   * crash) only means computing that structure again.
   */
  private queueSave(blob: string, json: string): void {
    this.unsaved.push({ blob, json });
    this.saving ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.unsaved.length > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.unsaved;
        this.unsaved = [];
        await this.store.saveStructures(batch).catch(() => undefined);
      }
    } finally {
      this.saving = null;
    }
  }

  /** Waits for queued writes (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }
}
