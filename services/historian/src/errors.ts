/** Error codes raised by the historian. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the historian (docs/errors.md). */
export const ERROR_CODES = {
  BB_HISTORIAN_ABANDONED: { meaning: 'The historian stopped, or lost its partition in a rebalance, before InfluxDB acknowledged a batch: the batch is not committed and will be replayed.' },
} as const satisfies ErrorCatalogue;
