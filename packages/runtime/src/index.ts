/**
 * `@busbar/runtime`: what every service process shares. Services only; packages and drivers use
 * the `@busbar/core` interfaces instead.
 */
export { ConfigError, loadConfig } from './config.js';
export type { LoadConfigOptions } from './config.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { CreateLoggerOptions } from './logger.js';
export { createServiceMetrics, LATENCY_BUCKETS_S } from './metrics.js';
export type { ServiceMetrics } from './metrics.js';
export { startOpsServer } from './http.js';
export type { Health, OpsServer, OpsServerOptions } from './http.js';
export { runService } from './service.js';
export type { RunServiceOptions, RunningService, ServiceContext, ServiceHandle } from './service.js';
export { ERROR_CODES } from './errors.js';
export { serviceMain } from './main.js';
export type { ServiceMainOptions } from './main.js';
