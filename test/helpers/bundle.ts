/** The `postroom` command bundled as `npm run build` bundles it (tools/bundle.ts), once per test process. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../tools/bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let bundled: Promise<string> | undefined;

/**
 * The bundle's main.js. Built under test-artifacts/ (inside the project, so the packages it leaves
 * out resolve from node_modules as they do for dist/bundle), removed when the process exits.
 */
export function bundledCli(): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
    const dir = mkdtempSync(path.join(root, 'test-artifacts', 'bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await bundleCli(dir);
    return path.join(dir, 'main.js');
  })();
  return bundled;
}
