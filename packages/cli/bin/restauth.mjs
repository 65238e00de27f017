#!/usr/bin/env node
// The `restauth` command. A committed file rather than dist/cli.js, so that npm links the bin
// when it installs the workspace, before anything is built; it only starts the built CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(`restauth: ${fileURLToPath(cli)} is missing: run "npm run build" first.\n`);
  process.exit(2);
}
