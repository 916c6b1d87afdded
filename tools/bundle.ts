// Bundles the `postroom` command (src/cli/main.ts) with esbuild into a few files, what
// bin/postroom.js runs: `npm run build` makes dist/bundle/. Why: every run of the command paid
// ~0.1 s (a third of its start-up) for Node's ES module loader reading, resolving and compiling
// ~290 files one by one (zod alone is 95); a collector run, and `postroom deliver` called once
// per message by another MTA, start faster from a bundle (docs/benchmarks.md, 2026-11-29 09:08).
//
// Inlined: our code and the pure-JavaScript packages loaded on every run (below). Left as packages:
// native addons, anything that starts worker threads from its own files (pino's transports), and
// the server's larger dependencies, loaded only by `postroom start`.
//   node --import tsx tools/bundle.ts [OUTDIR]        (default dist/bundle)
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INLINED = new Set(['zod', 'libmime', '@zone-eu/mailsplit', 'commander', 'cli-progress']);

export async function bundleCli(outdir: string): Promise<void> {
  const { default: pkg } = (await import(new URL('../package.json', import.meta.url).href, { with: { type: 'json' } })) as {
    default: { dependencies: Record<string, string> };
  };
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/main.ts'],
    outdir,
    bundle: true,
    // Each command's `await import(...)` stays lazy: a chunk loaded when that command runs.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    external: Object.keys(pkg.dependencies).filter((name) => !INLINED.has(name)),
    // Inlined CommonJS packages (iconv-lite, commander) call require(), which ES modules lack.
    banner: { js: "import { createRequire as __postroomCreateRequire } from 'node:module'; const require = __postroomCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // The admin pages' templates, found next to the code that renders them (src/admin/render.ts).
  cpSync(`${ROOT}/src/admin/views`, `${outdir}/views`, { recursive: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleCli(process.argv[2] ?? `${ROOT}/dist/bundle`);
}
