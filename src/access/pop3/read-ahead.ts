/**
 * Opening message files ahead of pipelined RETRs. A client that pipelines (RFC 2449) has the next
 * RETR commands already queued; opening their files while the current one is sent overlaps the
 * file-system round trips with the network, instead of paying them one after the other.
 * Files opened ahead and never used (the client quit, or DELE'd the message first) are closed.
 */
import { open, type FileHandle } from 'node:fs/promises';

const DEPTH = 4;

export class ReadAhead {
  private readonly opening = new Map<string, Promise<FileHandle>>();

  /** Starts opening up to DEPTH of the given files (paths of the next queued RETRs). */
  prefetch(paths: string[]): void {
    for (const p of paths) {
      if (this.opening.size >= DEPTH) return;
      if (this.opening.has(p)) continue;
      const handle = open(p, 'r');
      handle.catch(() => undefined); // reported when (if) it is taken
      this.opening.set(p, handle);
    }
  }

  /** The file, opened ahead if it was, else opened now. */
  take(path: string): Promise<FileHandle> {
    const ahead = this.opening.get(path);
    if (!ahead) return open(path, 'r');
    this.opening.delete(path);
    return ahead;
  }

  /** Closes what was opened and not taken. */
  async dispose(): Promise<void> {
    const left = [...this.opening.values()];
    this.opening.clear();
    await Promise.all(left.map((h) => h.then((f) => f.close()).catch(() => undefined)));
  }
}
