/** Error codes raised by the alerter. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the alerter (docs/errors.md). */
export const ERROR_CODES = {
  BB_ALERTER_WEBHOOK_FAILED: { meaning: 'A pager hook answered non-2xx, timed out or was unreachable; the notification stays in the alerts topic and is retried until delivered or expired; a 4xx (other than 408/429) is not retried: the notification is given up, counted and logged.' },
  BB_ALERTER_WRITE_OUTCOME_UNKNOWN: { meaning: 'The Kafka transaction of a batch (its alerts, rule state and offsets) got no clear answer to its commit: it may or may not have committed. The alerter reloads its rule state from the committed records and the batch is redelivered if it was not committed.' },
  BB_ALERTER_CHANNEL_REVOKED: { meaning: 'A notification channel stopped, or lost its alerts-topic partition to another alerter (a rebalance, a failed heartbeat or commit), while notifications waited: it stops sending them at once, commits nothing more, and the partition\'s next owner sends them.' },
  BB_ALERTER_SMTP_FAILED: { meaning: 'The SMTP server refused the mail (e.g. authentication), was unreachable or timed out; the notification stays in the alerts topic and is retried until delivered or expired. The message names host:port and nodemailer\'s reason and code, never the password.' },
  BB_ALERTER_SMTP_TLS_FAILED: { meaning: 'TLS to the SMTP server could not be established: STARTTLS required (requireTLS) but not offered or refused, implicit TLS (secure) to a plain port, or the server certificate not trusted (give caFile for a private CA). Nothing was sent in clear; the notification stays in the alerts topic and is retried.' },
  BB_ALERTER_SECRET_UNREADABLE: { meaning: 'A secret file of the alerter configuration (webhooks[].urlFile, webhooks[].headers.*.file, email.smtp.passwordFile, email.smtp.caFile) cannot be read or is empty; the alerter does not start. The message names the field and the path, never the content.' },
  BB_ALERTER_STATE_UNDECODABLE: { meaning: 'A record of the alerter state topic is not the state JSON (or names another series than its key); it is skipped and logged, and the series counts as not firing.' },
  BB_ALERTER_STATE_REASSIGNED: { meaning: 'The consumer group moved partitions while a batch was loading the rule state; the batch is not committed and is redelivered to the partition\'s owner.' },
  BB_ALERTER_STATE_TOPIC_MISMATCH: { meaning: 'The alerter state topic has fewer partitions than the readings topic, or than the device-events topic when rules read it (or is not compacted): the state of an input partition must live in the same partition of the state topic. Recreate the state topic with at least as many partitions, cleanup.policy=compact.' },
} as const satisfies ErrorCatalogue;
