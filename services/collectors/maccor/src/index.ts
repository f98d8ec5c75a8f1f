/**
 * `@busbar/collector-maccor` (private): the composition and its pure pieces, exported for
 * in-process end-to-end tests and the benchmark.
 */
export { startMaccorCollector } from './collector.js';
export { collectorConfigSchema } from './config.js';
export { ERROR_CODES } from './errors.js';
