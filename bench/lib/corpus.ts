/**
 * A reproducible corpus of generated messages on disk: mostly small text mails, some with
 * attachments, a few large ones (up to the given maximum), 8-bit bodies and LF or CRLF endings.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

/** Small deterministic PRNG (mulberry32) so two runs build the same corpus. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusOptions {
  dir: string;
  count: number;
  maxBytes: number;
  seed?: number;
}

/** Size of message i: 80% 1–20 KB, 17% 20 KB–1 MB, 3% 1 MB–max. */
export function sizeFor(rand: () => number, maxBytes: number): number {
  const r = rand();
  if (r < 0.8) return 1024 + Math.floor(rand() * 19 * 1024);
  if (r < 0.97) return 20 * 1024 + Math.floor(rand() * (1024 * 1024 - 20 * 1024));
  return 1024 * 1024 + Math.floor(rand() * Math.max(0, maxBytes - 1024 * 1024));
}

const WORDS = 'the quarterly figures invoice meeting café naïve Grüße attached please find report office schedule delivery order'.split(' ');

/** Writes the corpus unless it is already there; returns the file paths in order and the total bytes. */
export async function ensureCorpus(opts: CorpusOptions): Promise<{ files: string[]; bytes: number }> {
  await mkdir(opts.dir, { recursive: true });
  const existing = (await readdir(opts.dir)).filter((f) => f.endsWith('.eml')).sort();
  if (existing.length === opts.count) {
    let bytes = 0;
    for (const f of existing) bytes += (await stat(path.join(opts.dir, f))).size;
    return { files: existing.map((f) => path.join(opts.dir, f)), bytes };
  }
  const rand = prng(opts.seed ?? 42);
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < opts.count; i++) {
    const file = path.join(opts.dir, `${String(i).padStart(6, '0')}.eml`);
    bytes += await writeMessage(file, i, sizeFor(rand, opts.maxBytes), rand);
    files.push(file);
  }
  return { files, bytes };
}

async function writeMessage(file: string, i: number, size: number, rand: () => number): Promise<number> {
  const eol = rand() < 0.5 ? '\r\n' : '\n';
  const out = createWriteStream(file);
  let written = 0;
  const put = async (s: string) => {
    const b = Buffer.from(s);
    written += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const boundary = `b${i}x`;
  await put(
    [
      `From: Sender ${i % 97} <sender${i % 97}@remote.test>`,
      `To: bob@example.test`,
      `Subject: Message ${i} ${WORDS[i % WORDS.length]}`,
      `Date: Mon, 23 Nov 2026 10:${String(i % 60).padStart(2, '0')}:00 +0000`,
      `Message-ID: <bench-${i}@remote.test>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      '',
    ].join(eol),
  );
  // Text first, then base64 "attachment" lines until the size is reached.
  while (written < Math.min(size, 4096)) {
    let line = '';
    while (line.length < 70) line += WORDS[Math.floor(rand() * WORDS.length)] + ' ';
    await put(line.trimEnd() + eol);
  }
  if (written < size) {
    await put(`--${boundary}${eol}Content-Type: application/octet-stream${eol}Content-Transfer-Encoding: base64${eol}${eol}`);
    const block = Buffer.alloc(57 * 1000);
    for (let k = 0; k < block.length; k++) block[k] = Math.floor(rand() * 256);
    const lines = block.toString('base64').match(/.{1,76}/g)!.join(eol) + eol;
    while (written < size) await put(lines.slice(0, Math.max(78, Math.min(lines.length, size - written))));
  }
  await put(`${eol}--${boundary}--${eol}`);
  out.end();
  await once(out, 'close');
  return written;
}
