export { prometheusObserver } from './prometheus-observer.js';
export type { PrometheusObserverOptions } from './prometheus-observer.js';
