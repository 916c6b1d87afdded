#!/usr/bin/env node
// The `postroom` command. Runs the compiled build (dist/, made by `npm run build`, which
// `npm install` runs) when it exists; the TypeScript sources through tsx otherwise, or when
// POSTROOM_FROM_SOURCE=1 (what the tests use, so they always test the sources).
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.POSTROOM_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
