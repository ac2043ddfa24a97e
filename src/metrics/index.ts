/** Prometheus metrics of the service (prom-client, on a registry the caller owns). */
export {
  type CommittedPage,
  createMetrics,
  type Metrics,
  type MetricsOptions,
  noopMetrics,
  outcomeOf,
} from './metrics.ts';
