/** `npm run bench -- NAME [options]`: runs bench/NAME/run.ts (pipeline, pop3, ...). */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'lib').map((d) => d.name);
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <${names.join('|')}> [options]`);
  process.exit(2);
}
process.argv.splice(2, 1);
// Benchmarks measure the compiled build, as `npm start` runs it.
// tsc still writes the output when it finds type errors; a benchmark can run on that, with a warning.
try {
  execFileSync(process.execPath, [path.join(here, '../node_modules/typescript/bin/tsc'), '-p', path.join(here, '../tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  console.warn('warning: the build has type errors (above); benchmarking what it emitted');
}
await import(path.join(here, name, 'run.ts'));
