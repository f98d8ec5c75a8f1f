/** Error codes raised by the alerter. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the alerter (docs/errors.md). */
export const ERROR_CODES = {
  BB_ALERTER_WEBHOOK_FAILED: { meaning: 'A pager hook answered non-2xx, timed out or was unreachable; the notification stays in the alert outbox and is retried until delivered or expired.' },
  BB_ALERTER_OUTBOX_UNUSABLE: { meaning: 'The alert outbox file cannot be opened or written (wrong path, disk full): at start the alerter stops; in a batch, the batch is not committed and is redelivered.' },
} as const satisfies ErrorCatalogue;
