/** Running the real `postroom` command in a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/postroom.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Which `postroom` to run: the sources (bin/postroom.js with POSTROOM_FROM_SOURCE=1, the default)
 * or a bundle's main.js (test/helpers/bundle.ts), as bin/postroom.js runs the build.
 */
export interface Command {
  bundle?: string;
}

/** Node's arguments and environment for running `postroom ARGS` on `dataDir` (for a test that spawns it itself). */
export function spawnArgs(dataDir: string, args: string[], command: Command = {}): [string[], NodeJS.ProcessEnv] {
  if (command.bundle) return [['--max-semi-space-size=4', command.bundle, ...args], { ...process.env, POSTROOM_DATA: dataDir }];
  return [[BIN, ...args], { ...process.env, POSTROOM_DATA: dataDir, POSTROOM_FROM_SOURCE: '1' }];
}

export function run(dataDir: string, args: string[], input?: string | Buffer, command: Command = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [argv, env] = spawnArgs(dataDir, args, command);
    const child = spawn(process.execPath, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Starts `postroom start` and resolves once it says it is running. */
export function startServer(dataDir: string, command: Command = {}): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const [argv, env] = spawnArgs(dataDir, ['start'], command);
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Postroom is running')) {
        clearTimeout(timer);
        resolve({ child, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on a loopback port (the connection is refused). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
