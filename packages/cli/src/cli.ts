#!/usr/bin/env node
import { run } from './run.js';

// Ctrl-C stops `audit tail --follow` cleanly (exit 0); any other command is cut short with 130.
const controller = new AbortController();
const interrupt = () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
  setTimeout(() => {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    process.exit(130);
  }, 500).unref();
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

const code = await run(process.argv.slice(2), { signal: controller.signal });
// Exit once the output is flushed: a store client or keep-alive socket must not keep a
// finished command alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
