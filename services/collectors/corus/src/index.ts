/**
 * `@busbar/collector-corus` (private): the composition, exported for in-process end-to-end tests
 * and the benchmark.
 */
export { startCorusCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig, resolveCollectorConfig } from './config.js';
export type { CollectorConfig, CollectorConfigInput, CorusBinding, ResolvedCorusDevice } from './config.js';
export { CursorStore } from './cursor.js';
export type { DeviceCursors, LogCursor } from './cursor.js';
export { LogBackfill } from './backfill.js';
export type { BackfillLog, LogBackfillOptions, LogSource, WindowOutcome } from './backfill.js';
export { PROTOCOL, logRecordReading, parameterReading } from './records.js';
export { deviceNowMs, sessionFor } from './session.js';
export { runTestMode, TEST_MODE_RECORDS } from './test-mode.js';
export { ERROR_CODES, CorusCollectorError } from './errors.js';
export type { CorusCollectorErrorCode } from './errors.js';
