#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MB): V8's young generation grows to 16 MB semi-spaces by default, which
// a mail server streaming messages fills with short-lived buffers; 4 MB keeps the peak RSS about
// 25 MB lower at no measured cost in speed (bench/pipeline). `npm start` passes the same flag.
// The `postroom` command. Runs the build (dist/bundle/, bundled by tools/bundle.ts in
// `npm run build`, which `npm install` runs) when it exists; the TypeScript sources through tsx
// otherwise, or when POSTROOM_FROM_SOURCE=1 (what the tests use, so they always test the sources;
// test/cli/bundle.test.ts runs the bundle).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bundle/main.js', import.meta.url);
if (process.env.POSTROOM_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
