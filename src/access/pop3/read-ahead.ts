/**
 * Opening message files ahead of pipelined RETRs. A client that pipelines (RFC 2449) has the next
 * RETR commands already queued; opening their files while the current one is sent overlaps the
 * file-system round trips with the network, instead of paying them one after the other.
 * Files opened ahead and never used (the client quit, or DELE'd the message first) are closed.
 */
import { open, type FileHandle } from 'node:fs/promises';

const DEPTH = 4;
const FIRST_CHUNK = 64 * 1024;

/** A file opened ahead, with its first chunk already read (the whole of most messages). */
export interface OpenedFile {
  file: FileHandle;
  first: Buffer | null;
}

async function openAndRead(path: string, size: number): Promise<OpenedFile> {
  const file = await open(path, 'r');
  const first = Buffer.allocUnsafe(Math.min(FIRST_CHUNK, size));
  try {
    const { bytesRead } = await file.read(first, 0, first.length, 0);
    return { file, first: first.subarray(0, bytesRead) };
  } catch {
    return { file, first: null };
  }
}

export class ReadAhead {
  private readonly opening = new Map<string, Promise<OpenedFile>>();

  /** Starts opening (and reading the start of) up to DEPTH files of the next queued RETRs. */
  prefetch(files: Array<{ path: string; size: number }>): void {
    for (const { path: p, size } of files) {
      if (this.opening.size >= DEPTH) return;
      if (this.opening.has(p)) continue;
      const handle = openAndRead(p, size);
      handle.catch(() => undefined); // reported when (if) it is taken
      this.opening.set(p, handle);
    }
  }

  /** The file, opened ahead if it was, else opened now. */
  async take(path: string): Promise<OpenedFile> {
    const ahead = this.opening.get(path);
    if (!ahead) return { file: await open(path, 'r'), first: null };
    this.opening.delete(path);
    return ahead;
  }

  /** Closes what was opened and not taken. */
  async dispose(): Promise<void> {
    const left = [...this.opening.values()];
    this.opening.clear();
    await Promise.all(left.map((h) => h.then((f) => f.file.close()).catch(() => undefined)));
  }
}
