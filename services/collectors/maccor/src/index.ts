/**
 * `@busbar/collector-maccor` (private): the composition and its pure pieces, exported for
 * in-process end-to-end tests and the benchmark.
 */
export { clientFor, signOn, startMaccorCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig, DEFAULT_OPS_PORT } from './config.js';
export type { CollectorConfig } from './config.js';
export { runTestMode } from './test-mode.js';
export { PROTOCOL, toReading, transitionEvent } from './readings.js';
export type { ChannelDetail, TesterPoll } from './readings.js';
export { planPoll, DetailCursor } from './poll-plan.js';
export type { PollPlan, PollPlanInput } from './poll-plan.js';
export { TesterPoller, auxChannelsOf, planOf } from './poller.js';
export { MaccorRunner } from './direct-control.js';
export type { RunnerSinks } from './direct-control.js';
export { ERROR_CODES } from './errors.js';
export type { MaccorDeviceConfig, MaccorOperation, MaccorCommandRunner } from './types.js';
