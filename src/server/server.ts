/**
 * `postroom start`: takes the data directory's lock, bootstraps a fresh directory (admin user,
 * TLS certificate), starts every service, reloads configuration changes made by other processes
 * (`config apply`, `user ...`, the admin pages), and stops cleanly on SIGINT/SIGTERM.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { adminService } from '../admin/admin-service.js';
import { pop3Service } from '../access/pop3/pop3-service.js';
import { keptDeletedPurgeService } from '../access/pop3/keep-deleted.js';
import { imapService } from '../access/imap/imap-service.js';
import { leftoverResendCheck } from '../smtp/resend.js';
import { smtpService } from '../smtp/smtp-service.js';
import { outboundQueueRunner } from '../smtp/outbound/queue-runner.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { hashPassword, randomPassword } from '../auth/passwords.js';
import { spoolRunner } from '../pipeline/spool-runner.js';
import { heldExpiryService } from '../pipeline/held-expiry.js';
import { collectorScheduler } from '../collect/scheduler.js';
import type { Settings } from '../config/schema.js';
import { openDataDir, type DataContext } from './data-dir.js';
import { acquireInstanceLock } from './instance-lock.js';
import type { Service } from './service.js';
import { ensureTls } from './tls.js';

export interface RunningServer {
  ctx: DataContext;
  services: Service[];
  stop(): Promise<void>;
}

/** How often the server looks for configuration changes made by other processes. */
const RELOAD_INTERVAL_MS = 1000;

export async function startServer(dataDir: string, log: Logger, out: (line: string) => void): Promise<RunningServer> {
  // A first start creates the data directory; the lock file lives in it.
  await mkdir(dataDir, { recursive: true });
  const lock = acquireInstanceLock(dataDir);
  const ctx = await openDataDir(dataDir, log).catch((e: unknown) => {
    lock.release();
    throw e;
  });
  try {
    await bootstrapAdmin(ctx, out);
    let settings = await ctx.store.config.settings();
    const tls = await ensureTls(dataDir, settings);
    if (tls.generated) log.info({ cert: tls.certPath }, 'generated a self-signed TLS certificate');
    let generation = await ctx.store.config.generation();

    const services: Service[] = [];
    const scheduler = collectorScheduler(ctx);
    services.push(
      adminService(ctx, {
        configGeneration: () => generation,
        settings: () => settings,
        services: () => services.map((s) => ({ name: s.name, state: s.describe() })),
        collectors: scheduler,
        dataDir,
      }),
    );
    // A submission left in the spool by a dead process gets the resend check it never had, before
    // SMTP listens again and the client's resend arrives (smtp/resend.ts).
    services.push(spoolRunner(ctx.store, ctx.pipeline, log, { check: leftoverResendCheck(ctx.store, ctx.blobs, () => settings) }));
    services.push(heldExpiryService(ctx.store, log));
    // One failed-login throttle for every door: trying POP3, then IMAP, then SMTP gains nothing.
    const throttle = new LoginThrottle();
    services.push(pop3Service(ctx, tls, { throttle }));
    services.push(keptDeletedPurgeService(ctx.store.maildrops, log));
    services.push(imapService(ctx, tls, { throttle }));
    services.push(smtpService(ctx, tls, { throttle }));
    services.push(outboundQueueRunner(ctx));
    services.push(scheduler);
    for (const s of services) await s.start(settings);

    let reloading = false;
    const timer = setInterval(() => {
      if (reloading) return;
      reloading = true;
      reload()
        .catch((err: unknown) => log.error({ err }, 'configuration reload failed; keeping the previous configuration'))
        .finally(() => (reloading = false));
    }, RELOAD_INTERVAL_MS);
    const reload = async () => {
      const g = await ctx.store.config.generation();
      if (g === generation) return;
      const next: Settings = await ctx.store.config.settings();
      for (const s of services) await s.reconfigure(next);
      settings = next;
      generation = g;
      log.info({ generation: g }, 'configuration reloaded');
    };

    log.info({ dataDir, services: services.map((s) => `${s.name}: ${s.describe()}`) }, 'Postroom started');
    let stopped = false;
    return {
      ctx,
      services,
      async stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        for (const s of [...services].reverse()) {
          await s.stop().catch((err: unknown) => log.error({ err, service: s.name }, 'service did not stop cleanly'));
        }
        await ctx.close();
        lock.release();
        log.info('Postroom stopped');
      },
    };
  } catch (err) {
    await ctx.close();
    lock.release();
    throw err;
  }
}

/** A data directory without any admin gets one, whose random password is shown once. */
async function bootstrapAdmin(ctx: DataContext, out: (line: string) => void): Promise<void> {
  const users = await ctx.store.users.list();
  if (users.some((u) => u.admin)) return;
  const name = users.some((u) => u.name === 'admin') ? `admin${Date.now() % 10000}` : 'admin';
  const password = randomPassword();
  await ctx.store.users.add({ name, addresses: [], admin: true, passwordHash: await hashPassword(password) });
  out(`Created the administrator "${name}" with password: ${password}`);
  out('This password is shown only once. Change it with: postroom user passwd ' + name);
  ctx.log.info({ user: name }, 'created the first administrator');
}
