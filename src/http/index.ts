/** The service's HTTP endpoints: /metrics, /livez, /readyz. */

export { type ServiceEndpoints, serveEndpoints } from './endpoints.ts';
export {
  kafkaCheck,
  type ReadinessCheck,
  type ReadinessReport,
  redisCheck,
  registryCheck,
  runChecks,
} from './readiness.ts';
export { type HttpServer, type HttpServerOptions, startHttpServer } from './server.ts';
