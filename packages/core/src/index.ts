/**
 * `@busbar/core`: the base every Busbar package may import. No I/O, no third-party runtime deps.
 */
export { BusbarError, ERROR_CODE_PATTERN, ERROR_CODES, errorCode, errorOutcome, isBusbarError } from './errors.js';
export type { BusbarErrorOptions, ErrorCatalogue, ErrorContext } from './errors.js';
/** @public The command outcome of issue 8, read by the collector runtime and the command executor being written. */
export type { CommandOutcome } from './errors.js';
export { noopLogger } from './logger.js';
export type { LogFields, Logger } from './logger.js';
export { noopMetrics } from './metrics.js';
export type { Counter, Gauge, Histogram, Labels, MetricSpec, Metrics } from './metrics.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { backoffDelayMs } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { sleep } from './sleep.js';
export { NewestWinsPacer } from './pacer.js';
export type { PacedItem } from './pacer.js';
