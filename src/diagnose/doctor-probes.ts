/**
 * `postroom doctor`: the checks of the running system (I/O): the relay (EHLO and AUTH, no mail
 * sent), the TLS certificate, the data directory's lock and disk space, the store's integrity.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { relayConnection } from '../smtp/outbound/relay.js';
import type { Settings } from '../config/schema.js';
import { tryLockFile } from '../server/file-lock.js';
import { readHolder } from '../server/instance-lock.js';
import type { DoctorFinding } from './doctor-checks.js';

const DAY = 86_400_000;

/** One step of the relay test, as the Settings page and the API show it. */
export interface RelayStep {
  step: 'connect' | 'TLS' | 'EHLO' | 'STARTTLS' | 'AUTH' | 'QUIT';
  result: 'ok' | 'failed' | 'skipped';
  detail: string;
}

interface SmtpError extends Error {
  code?: string;
  command?: string;
}

/** Which step a nodemailer error belongs to ("command" is the SMTP command it answered, CONN before any). */
function failedStep(e: SmtpError, security: string): RelayStep['step'] {
  const cmd = e.command ?? '';
  if (cmd.startsWith('AUTH')) return 'AUTH';
  if (cmd === 'QUIT') return 'QUIT';
  if (cmd === 'STARTTLS') return 'STARTTLS';
  if (['EHLO', 'HELO', 'LHLO'].includes(cmd)) return 'EHLO';
  if (e.code === 'ETLS') return security === 'tls' ? 'TLS' : 'STARTTLS';
  // Implicit TLS fails inside the connection (code ESOCKET): OpenSSL's words tell it from a refused connection.
  if (security === 'tls' && /SSL|TLS|certificate|wrong version/i.test(e.message)) return 'TLS';
  if (e.code === 'EPROTOCOL') return 'EHLO';
  return 'connect';
}

const FIXES: Record<RelayStep['step'], string> = {
  connect: 'check relay.host, relay.port and relay.security, and that this machine may connect out on that port',
  TLS: 'check relay.security: "tls" is TLS from the first byte (usually port 465), "starttls" upgrades a plain connection (usually port 587)',
  EHLO: 'the smarthost did not accept an SMTP session: check relay.host and relay.port (is it the provider\'s SMTP server?)',
  STARTTLS: 'check relay.security: the smarthost offers no working STARTTLS there (use "tls" on port 465, or what the provider documents)',
  AUTH: 'check relay.user and relay.password (the ISP may need an app password)',
  QUIT: '',
};

/**
 * Connects to the relay, says EHLO (STARTTLS as configured), logs in when a user is set and says
 * QUIT; sends no mail. Each step's result, and the doctor's finding (what to fix) for the whole.
 */
export async function testRelay(settings: Settings, timeoutMs = 10_000): Promise<{ finding: DoctorFinding; steps: RelayStep[] }> {
  const relay = settings.relay;
  if (!relay) return { finding: { check: 'relay', severity: 'ok', message: 'no relay configured (outgoing mail to other domains stays queued)', fix: '' }, steps: [] };
  const where = `${relay.host}:${relay.port} (${relay.security})`;
  const plan: RelayStep['step'][] = ['connect', ...(relay.security === 'tls' ? (['TLS'] as const) : []), 'EHLO', ...(relay.security === 'starttls' ? (['STARTTLS'] as const) : []), ...(relay.user ? (['AUTH'] as const) : []), 'QUIT'];
  const steps: RelayStep[] = plan.map((step) => ({ step, result: 'skipped', detail: 'not tried' }));
  const okDetail: Record<RelayStep['step'], string> = {
    connect: `connected to ${relay.host}:${relay.port}`,
    TLS: 'TLS from the first byte, certificate verified',
    EHLO: 'the smarthost greeted us and answered EHLO',
    STARTTLS: 'upgraded to TLS, certificate verified',
    AUTH: `logged in as ${relay.user}`,
    QUIT: 'said goodbye; no mail was sent',
  };
  const done = (step: RelayStep['step']) => Object.assign(steps.find((s) => s.step === step)!, { result: 'ok', detail: okDetail[step] });
  const conn = relayConnection(relay, settings.hostname, { connectMs: timeoutMs, socketMs: timeoutMs });
  // nodemailer reports connection failures as 'error' events, not through the connect callback.
  let failed: (e: Error) => void = () => undefined;
  conn.on('error', (e: Error) => failed(e));
  const step = (fn: (cb: (err?: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) => {
      failed = reject;
      fn((e) => (e ? reject(e) : resolve()));
    });
  try {
    await step((cb) => conn.connect(cb));
    done('connect');
    if (relay.security === 'tls') done('TLS');
    done('EHLO');
    if (relay.security === 'starttls') done('STARTTLS');
    if (relay.user) {
      await step((cb) => conn.login({ user: relay.user!, pass: relay.password ?? '' }, cb));
      done('AUTH');
    }
    await step((cb) => {
      conn.once('end', () => cb());
      conn.quit();
    });
    done('QUIT');
    return { finding: { check: 'relay', severity: 'ok', message: `relay ${where} answers${relay.user ? ` and accepts the login of ${relay.user}` : ''}`, fix: '' }, steps };
  } catch (err) {
    const e = err as SmtpError;
    const why = /wrong version number/.test(e.message) ? 'the server did not answer in TLS on this port (OpenSSL: wrong version number)' : e.message.trim();
    const at = failedStep(e, relay.security);
    const i = Math.max(0, steps.findIndex((s) => s.step === at));
    // nodemailer's connect() covers connect, TLS, EHLO and STARTTLS: the steps before the failed one went through.
    for (const s of steps.slice(0, i)) if (s.result === 'skipped') done(s.step);
    Object.assign(steps[i]!, { result: 'failed', detail: why });
    const message =
      at === 'connect'
        ? `cannot reach the relay ${where}: ${why}`
        : at === 'AUTH'
          ? `the relay ${where} refused our credentials for ${relay.user}: ${why}`
          : `the relay ${where} answers, but ${at} failed: ${why}`;
    return { finding: { check: 'relay', severity: at === 'QUIT' ? 'warning' : 'error', message, fix: FIXES[at] }, steps };
  } finally {
    conn.close();
  }
}

/** The doctor's relay check: the relay test's finding. */
export async function checkRelay(settings: Settings, timeoutMs = 10_000): Promise<DoctorFinding> {
  return (await testRelay(settings, timeoutMs)).finding;
}

/** The certificate the server offers: configured, else DATA/tls/cert.pem. */
export async function checkCertificate(dataDir: string, settings: Settings, now = Date.now()): Promise<DoctorFinding> {
  const file = settings.tls ? path.resolve(dataDir, settings.tls.cert) : path.join(dataDir, 'tls', 'cert.pem');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(file));
  } catch (e) {
    if (!settings.tls) return { check: 'tls', severity: 'ok', message: 'no certificate yet: "postroom start" generates one', fix: '' };
    return { check: 'tls', severity: 'error', message: `cannot read the certificate ${file}: ${(e as Error).message}`, fix: 'fix tls.cert, or remove "tls" to use a generated certificate' };
  }
  const left = Math.floor((Date.parse(cert.validTo) - now) / DAY);
  if (left < 0) return { check: 'tls', severity: 'error', message: `the certificate ${file} expired on ${cert.validTo}: mail programs refuse to connect`, fix: 'renew the certificate (or remove DATA/tls/ to have a new self-signed one made at start)' };
  if (left < 21) return { check: 'tls', severity: 'warning', message: `the certificate ${file} expires in ${left} days (${cert.validTo})`, fix: 'renew it before then; a running server picks up a new file at restart' };
  return { check: 'tls', severity: 'ok', message: `certificate valid for ${left} more days`, fix: '' };
}

/** Who holds DATA/server.lock: a running server is fine; a pid file without a lock is a stale one. */
export function checkInstance(dataDir: string): DoctorFinding {
  const holder = readHolder(dataDir);
  const lock = tryLockFile(path.join(dataDir, 'server.lock'));
  if (!lock) {
    const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'a process that left no server.pid';
    return { check: 'instance', severity: 'ok', message: `one server runs on this data directory (${who})`, fix: '' };
  }
  lock.release();
  if (holder) return { check: 'instance', severity: 'warning', message: `server.pid names process ${holder.pid} on ${holder.host}, but no server holds the lock: it stopped without cleaning up`, fix: 'nothing to do if no Postroom is running; "postroom start" replaces the file' };
  return { check: 'instance', severity: 'ok', message: 'no server is running on this data directory', fix: '' };
}

export async function checkDiskSpace(dataDir: string): Promise<DoctorFinding> {
  const s = await statfs(dataDir);
  const free = s.bavail * s.bsize;
  const share = s.blocks > 0 ? s.bavail / s.blocks : 1;
  const text = `${(free / 2 ** 30).toFixed(1)} GB free (${Math.round(share * 100)}%) for ${dataDir}`;
  if (free < 200 * 2 ** 20) return { check: 'disk', severity: 'error', message: `${text}: new mail will soon be refused`, fix: 'free space on that disk or move the data directory' };
  if (free < 2 ** 30 || share < 0.05) return { check: 'disk', severity: 'warning', message: `${text}: low`, fix: 'free space on that disk or move the data directory' };
  return { check: 'disk', severity: 'ok', message: text, fix: '' };
}

export function integrityFinding(problems: string[]): DoctorFinding {
  if (problems.length === 0) return { check: 'store', severity: 'ok', message: 'store integrity check passed', fix: '' };
  return {
    check: 'store',
    severity: 'error',
    message: `the store failed its integrity check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
    fix: 'stop the server, copy the data directory aside, and restore postroom.db from the last backup',
  };
}
