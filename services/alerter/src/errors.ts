/** Error codes raised by the alerter. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the alerter (docs/errors.md). */
export const ERROR_CODES = {
  BB_ALERTER_WEBHOOK_FAILED: { meaning: 'A pager hook answered non-2xx, timed out or was unreachable; the notification stays in the alerts topic and is retried until delivered or expired; a 4xx (other than 408/429) is not retried: the notification is given up, counted and logged.' },
  BB_ALERTER_NOTIFY_REJECTED: { meaning: 'A receiver refused a notification for good (HTTP 400: Alertmanager or PagerDuty found it invalid); it is not retried: given up at once with the later notifications of that alert on that channel, counted in busbar_alerter_notifications_expired_total and logged with the answer.' },
  BB_ALERTER_ALERTMANAGER_FAILED: { meaning: 'An Alertmanager answered 5xx/429, timed out or was unreachable; the notification stays in the alerts topic and is retried until delivered or expired (a re-send of an open alert is tried again at the next resend interval).' },
  BB_ALERTER_PAGERDUTY_FAILED: { meaning: 'The PagerDuty Events API v2 answered 429 or 5xx, timed out or was unreachable; the event stays in the alerts topic and is retried until delivered or expired.' },
  BB_ALERTER_SECRET_UNREADABLE: { meaning: 'A file named in the alerter configuration for a secret (the PagerDuty routing key) cannot be read or is empty; the alerter does not start.' },
  BB_ALERTER_ACK_INVALID: { meaning: 'A record of the alert-control topic is not an acknowledgement ({"v":1,"action":"ack","alert_id","by","at_ms"}, optional comment; the message names the field); it goes to the dead-letter topic.' },
  BB_ALERTER_SILENCE_INVALID: { meaning: 'A record of the silences topic is not a silence ({"v":1,"id","matchers","starts_at_ms","ends_at_ms","created_by","comment"}, id = key, end after start, at least one matcher); it is skipped and logged, the silence does not apply.' },
  BB_ALERTER_MATCHER_INVALID: { meaning: 'A label matcher is not Alertmanager syntax (name =, !=, =~ or !~ value) or its regular expression does not compile; the message quotes it (at load: the configuration is refused; in a silence record: the silence is skipped).' },
  BB_ALERTER_WRITE_OUTCOME_UNKNOWN: { meaning: 'The Kafka transaction of a batch (its alerts, rule state and offsets) got no clear answer to its commit: it may or may not have committed. The alerter reloads its rule state from the committed records and the batch is redelivered if it was not committed.' },
  BB_ALERTER_STATE_UNDECODABLE: { meaning: 'A record of the alerter state topic is not the state JSON (or names another series than its key); it is skipped and logged, and the series counts as not firing.' },
  BB_ALERTER_STATE_REASSIGNED: { meaning: 'The consumer group moved partitions while a batch was loading the rule state; the batch is not committed and is redelivered to the partition\'s owner.' },
  BB_ALERTER_STATE_TOPIC_MISMATCH: { meaning: 'The alerter state topic has fewer partitions than the readings topic, or than the device-events topic when rules read it (or is not compacted): the state of an input partition must live in the same partition of the state topic. Recreate the state topic with at least as many partitions, cleanup.policy=compact.' },
} as const satisfies ErrorCatalogue;
