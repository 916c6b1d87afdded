/** An in-process SMTP service over a fresh test data directory, and clients to drive it. */
import { spawn } from 'node:child_process';
import type { LoginThrottle } from '../../src/auth/login-throttle.js';
import { smtpService, type SmtpService } from '../../src/smtp/smtp-service.js';
import { freePort } from '../helpers/cli.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { selfSignedCert } from '../fixtures/self-signed.js';

export interface SmtpHarness {
  ctx: TestContext;
  service: SmtpService;
  host: string;
  smtpPort: number;
  submissionPort: number;
  close(): Promise<void>;
}

/** Starts both doors on free ports; `extraYaml` adds settings to the office configuration. */
export async function smtpHarness(extraYaml = '', opts: { address?: string; throttle?: ConstructorParameters<typeof LoginThrottle>[0] } = {}): Promise<SmtpHarness> {
  const smtpPort = await freePort();
  const submissionPort = await freePort();
  const address = opts.address ?? '127.0.0.1';
  const ctx = await testContext(`${officeYaml}listen: { address: '${address}', smtp: ${smtpPort}, submission: ${submissionPort}, pop3: 0, imap: 0, admin: 0 }\n${extraYaml}`);
  const cert = await selfSignedCert();
  const service = smtpService(
    ctx,
    { cert: Buffer.from(cert.cert), key: Buffer.from(cert.key), certPath: '', keyPath: '', generated: false },
    { throttle: opts.throttle ?? { baseDelayMs: 5, maxDelayMs: 20, windowMs: 60_000, maxFailuresPerAddress: 50, maxFailuresPerUser: 4 } },
  );
  await service.start(await ctx.store.config.settings());
  return {
    ctx,
    service,
    host: address === '0.0.0.0' ? '127.0.0.1' : address,
    smtpPort,
    submissionPort,
    async close() {
      await service.stop();
      await ctx.cleanup();
    },
  };
}

/** Runs a program to its end; never rejects (the test looks at code and output). */
export function runTool(cmd: string, args: string[], input?: string | Buffer, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => resolve({ code: -1, out: String(e) }));
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input ?? '');
  });
}

/** Runs a Python script (smtplib) that prints one JSON value; returns it parsed. */
export async function python<T>(script: string, env: Record<string, string>): Promise<T> {
  const r = await runTool('python3', ['-c', script], undefined, env);
  const last = r.out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`python failed (${r.code}):\n${r.out}`);
  }
}

/** The messages in a user's INBOX, as stored bytes. */
export async function inbox(ctx: TestContext, user: string): Promise<Buffer[]> {
  const { readFile } = await import('node:fs/promises');
  const box = (await ctx.store.mailboxes.list(user)).find((b) => b.name === 'INBOX')!;
  const out: Buffer[] = [];
  for (const m of await ctx.store.mailboxes.messages(box.id)) out.push(await readFile(ctx.blobs.pathOf(m.blob)));
  return out;
}
