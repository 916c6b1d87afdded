import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';
import { randomPassword } from '../auth/random-password.js';

/**
 * A new password: the first line of stdin with --password-stdin, typed twice on a terminal
 * (not echoed), or else a random one that the caller prints.
 */
export async function obtainPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (fromStdin) {
    const line = await readFirstLine();
    if (!line) throw new UsageError('--password-stdin: no password on standard input');
    return { password: line, generated: false };
  }
  if (process.stdin.isTTY) {
    const a = await askHidden('New password: ');
    const b = await askHidden('Again: ');
    if (a !== b) throw new UsageError('the two passwords differ; nothing was changed');
    if (!a) throw new UsageError('empty password; nothing was changed');
    return { password: a, generated: false };
  }
  return { password: randomPassword(), generated: true };
}

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    out._writeToOutput = (s: string) => {
      if (s.includes(question)) out.output.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}
