export { createConsole } from './console.js';
export type { RestAuthConsole } from './console.js';
export type { ConsoleOptions, ConsoleLoginOptions } from './options.js';
export { redactConfig } from './redact.js';
