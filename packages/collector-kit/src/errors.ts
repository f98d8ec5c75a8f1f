/** Error codes of `@busbar/collector-kit`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the collector runtime (docs/errors.md). */
export const ERROR_CODES = {
  BB_COLLECTOR_BUFFER_UNUSABLE: { meaning: 'The store-and-forward buffer file cannot be opened or written (wrong path, not a buffer, disk full); the path and the cause are in the message. At start the collector stops; while running, the records of that poll are counted as publish errors.' },
  BB_COLLECTOR_NOT_ACKNOWLEDGED: { meaning: 'Records a background job published (a log backfill window) were not acknowledged by Kafka: the store-and-forward buffer dropped them at its byte or age bound, or the collector stopped before Kafka took them. The job does not advance its cursor and reads them again (at least once).' },
} as const satisfies ErrorCatalogue;
