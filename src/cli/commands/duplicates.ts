/**
 * `postroom duplicates list|show|release|expire`: the copies held in users' "Possible duplicates"
 * folders, why each was held, and moving one to the INBOX.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { heldExpiresAt } from '../../pipeline/held-expiry.js';
import { releaseHeldCopy } from '../../pipeline/held-release.js';
import type { HeldCopy } from '../../store/interfaces.js';
import { print, withData } from '../context.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const actor = () => `cli (${os.userInfo().username})`;

function parseId(id: string): number {
  const n = Number(id.replace(/^#/, ''));
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`"${id}" is not a held copy id (the number in the first column of "postroom duplicates list")`);
  return n;
}

function sourceLine(h: HeldCopy): string {
  const s = h.source;
  return `${s.kind} ${s.name}${s.remoteId ? ` (${s.remoteId})` : ''}`;
}

export function registerDuplicates(program: Command): void {
  const dup = program.command('duplicates').description('copies held in "Possible duplicates": list, show, release to the INBOX, expire');
  dup
    .command('list')
    .description('list held copies (of one user, or everyone)')
    .argument('[user]')
    .option('--json', 'print JSON')
    .action(async (user: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const held = await ctx.store.held.list(user);
        if (opts.json) return print(JSON.stringify(held, null, 2));
        if (held.length === 0) return print(user ? `${user} has no held copies.` : 'No held copies.');
        const { heldDays } = (await ctx.store.config.settings()).duplicates;
        for (const h of held) {
          const expiresAt = heldExpiresAt(h.heldAt, heldDays);
          const expires = expiresAt === null ? 'kept until released' : `expires ${when(expiresAt).slice(0, 10)}`;
          print(`#${h.deliveryId}\t${h.user}\tuid ${h.uid}\t${when(h.heldAt)}\t${h.from ?? '(no sender)'}\t${h.subject ?? '(no subject)'}\t(${expires})`);
        }
        print(`${held.length} held cop${held.length === 1 ? 'y' : 'ies'}. "postroom duplicates show ID" says why; "postroom duplicates release ID" moves one to the INBOX.`);
      });
    });
  dup
    .command('show')
    .description('show a held copy: why it was held and the copy it matched')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const h = await ctx.store.held.get(parseId(id));
        if (!h) throw new UsageError(`no held copy #${parseId(id)} (released, expired, or never held); see "postroom duplicates list"`);
        const copy = await ctx.store.provenance.copyAt(h.user, 'Possible duplicates', h.uid);
        const earlier = copy ? await ctx.store.provenance.earlierMatch(copy) : undefined;
        if (opts.json) return print(JSON.stringify({ held: h, matched: earlier ?? null }, null, 2));
        print(`Held copy #${h.deliveryId} for ${h.user}, "Possible duplicates" UID ${h.uid}, since ${when(h.heldAt)}`);
        print(`  Subject:    ${h.subject ?? '(none)'}`);
        print(`  From:       ${h.from ?? '(none)'}`);
        print(`  Message-ID: ${h.messageId ? `<${h.messageId}>` : '(none)'}`);
        print(`  Came from:  ${sourceLine(h)}`);
        print(`  Why held:   ${h.reason}`);
        if (earlier) {
          const where = earlier.mailbox ? `now in ${earlier.mailbox} UID ${earlier.uid}` : 'no longer in a folder';
          print(`  Matches:    copy #${earlier.deliveryId} from ${earlier.source.kind} ${earlier.source.name}, ${when(earlier.at)}, Message-ID ${earlier.messageId ? `<${earlier.messageId}>` : '(none)'}, ${where}`);
        }
        print(`Release it with: postroom duplicates release ${h.deliveryId}    (or: postroom diagnose ${h.user} --uid ${h.uid} --folder "Possible duplicates")`);
      });
    });
  dup
    .command('release')
    .description('move a held copy to the INBOX (new UID); the release is kept in its provenance')
    .argument('<id...>')
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        let missing = 0;
        for (const id of ids.map(parseId)) {
          const r = await releaseHeldCopy(ctx.store, ctx.log, id, actor());
          if (!r) {
            process.stderr.write(`postroom: no held copy #${id} (released, expired, or never held)\n`);
            missing++;
            continue;
          }
          print(`Released #${id} to ${r.held.user}'s INBOX as UID ${r.uid}: ${r.held.subject ?? '(no subject)'}`);
        }
        if (missing > 0) process.exitCode = 2;
      });
    });
  dup
    .command('expire')
    .description('remove held copies older than duplicates.heldDays now (the server does this hourly)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { expireHeldCopies } = await import('../../pipeline/held-expiry.js');
      await withData(cmd, async (ctx) => {
        const { heldDays } = (await ctx.store.config.settings()).duplicates;
        if (heldDays <= 0) return print('duplicates.heldDays is 0: held copies are kept until released.');
        const expired = await expireHeldCopies(ctx.store, ctx.log, actor());
        for (const h of expired) print(`Expired #${h.deliveryId} (${h.user}, held ${when(h.heldAt)}): ${h.subject ?? '(no subject)'}`);
        print(`${expired.length} held cop${expired.length === 1 ? 'y' : 'ies'} older than ${heldDays} days removed from "Possible duplicates".`);
      });
    });
}
