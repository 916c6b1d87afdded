/**
 * A reproducible mailbox of "mixed" messages for benchmarks: mostly short mails, some with
 * attachments, a few large ones; CRLF and bare-LF line ends; lines that need dot-stuffing.
 */
import { prng } from '../lib/corpus.js';


/** Size mix: 80% 1–8 KB, 18% 20–100 KB (a base64 attachment), 2% 300 KB–1 MB. */
export function mixedMailbox(count: number, seed: number): Buffer[] {
  const rnd = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const target = r < 0.8 ? 1024 + rnd() * 7 * 1024 : r < 0.98 ? 20_000 + rnd() * 80_000 : 300_000 + rnd() * 700_000;
    const eol = rnd() < 0.5 ? '\r\n' : '\n';
    const header = [
      `From: Sender ${i % 97} <sender${i % 97}@remote.test>`,
      'To: bench@bench.test',
      `Subject: Benchmark message ${i}`,
      `Date: Mon, 1 Jun 2026 10:${String(i % 60).padStart(2, '0')}:00 +0000`,
      `Message-ID: <bench-${seed}-${i}@remote.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
    ].join(eol);
    const lines: string[] = [];
    let size = header.length;
    let n = 0;
    while (size < target) {
      const line = n % 40 === 7 ? '.a line that starts with a dot' : r < 0.8 ? `Line ${n} of message ${i}: ${'lorem ipsum '.repeat(1 + Math.floor(rnd() * 5))}` : base64Line(rnd);
      lines.push(line);
      size += line.length + eol.length;
      n++;
    }
    out.push(Buffer.from(header + eol + eol + lines.join(eol) + eol));
  }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function base64Line(rnd: () => number): string {
  let s = '';
  for (let i = 0; i < 76; i++) s += ALPHABET[Math.floor(rnd() * 64)];
  return s;
}
