#!/usr/bin/env node
// Entry point of the `uid2` command: runs the compiled CLI in dist/ (`npm run build`, which
// `npm ci` runs through the `prepare` script) with plain node.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('uid2: dist/ is missing; build it with `npm run build` (npm ci does this)');
  process.exit(1);
}
const cli = await import(main.href);
await cli.main(process.argv);
