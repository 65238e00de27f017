// The audit trail lives in ./audit/; this file keeps `./audit.js` imports working.
export type { AuditEvent, AuditDecision } from './audit/event.js';
export { createFunctionAuditSink } from './audit/sink.js';
export type { AuditSink, FunctionAuditSinkOptions } from './audit/sink.js';
export { createMemoryAuditSink } from './audit/memory-sink.js';
export type { MemoryAuditSink } from './audit/memory-sink.js';
export { createStdoutAuditSink } from './audit/stdout-sink.js';
export { createFileAuditSink } from './audit/file-sink.js';
export type { FileAuditSink, FileAuditSinkOptions, AuditPruneResult } from './audit/file-sink.js';
export { createAuditQueue } from './audit/queue.js';
export type { AuditQueue, AuditQueueOptions, AuditQueueStats, AuditQueueOverflow } from './audit/queue.js';
