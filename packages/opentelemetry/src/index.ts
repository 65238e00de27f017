export { openTelemetryObserver } from './opentelemetry-observer.js';
export type { OpenTelemetryObserverOptions } from './opentelemetry-observer.js';
