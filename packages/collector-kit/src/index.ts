/**
 * `@busbar/collector-kit`: the Kafka side every collector service shares.
 */
export { CollectorKit } from './kit.js';
export type { CollectorKitOptions, ConnectionEventOptions, RoutedCommandsOptions } from './kit.js';
export { RoutedCommandDispatcher, decoratedResultSink } from './routing.js';
export type { RoutedDispatchOptions } from './routing.js';
export { collectorCommonShape } from './config.js';
