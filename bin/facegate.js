#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds it (the `prepare` script); after editing sources, `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('facegate: INTERNAL: dist/ is missing; run `npm run build` (npm ci runs it for you)\n');
  process.exit(1);
}
await import(cli.href);
