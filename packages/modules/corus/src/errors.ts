/**
 * Errors of the Corus module's log backfill (its own: the driver's `BB_CORUS_*` codes pass through
 * unchanged). The codes keep the names they had in the Corus collector.
 */
import { BusbarError } from '@busbar/core';
import type { ErrorCatalogue } from '@busbar/core';

/** Every code the Corus module raises itself (the backfill cursor files). */
export const ERROR_CODES = {
  BB_CORUS_COLLECTOR_STATE_INVALID: { meaning: 'A backfill cursor file in the state directory is not valid JSON of the expected shape; the collector refuses to guess where to resume (fix or delete the file).' },
  BB_CORUS_COLLECTOR_STATE_WRITE: { meaning: 'A backfill cursor could not be written to the state directory; the records were published but the cursor did not advance, so they will be published again after a restart.' },
} as const satisfies ErrorCatalogue;

/** One of the codes in {@link ERROR_CODES}. */
export type CorusCollectorErrorCode = keyof typeof ERROR_CODES;

/** An error of the Corus backfill cursor store. */
export class CorusCollectorError extends BusbarError {
  declare readonly code: CorusCollectorErrorCode;
  /** @param code - a code of {@link ERROR_CODES}; @param message - names the file and the fault. */
  constructor(code: CorusCollectorErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(code, message, options);
  }
}
