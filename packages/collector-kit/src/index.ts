/**
 * `@busbar/collector-kit`: the Kafka side every collector service shares.
 */
export { CollectorKit } from './kit.js';
export type { CollectorKitOptions, RoutedCommandsOptions } from './kit.js';
