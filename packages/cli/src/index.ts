export { run } from './run.js';
export { EXIT_CODES } from './exit-codes.js';
export type { CliIo, CliStream } from './io.js';
