/** Error codes raised by the alerter. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the alerter (docs/errors.md). */
export const ERROR_CODES = {
  BB_ALERTER_WEBHOOK_FAILED: { meaning: 'A pager hook answered non-2xx, timed out or was unreachable; retried up to notifyAttempts times.' },
} as const satisfies ErrorCatalogue;
