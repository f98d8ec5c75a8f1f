/**
 * Error codes raised by the alert-control codecs. The codes keep the `BB_ALERTER_` area they had
 * when the codecs lived in the alerter: they are the alerter's refusals (a dead-lettered ack, a
 * skipped silence, a refused configuration) and dashboards and dead-letter readers already know them.
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/alert-control` (docs/errors.md). */
export const ERROR_CODES = {
  BB_ALERTER_ACK_INVALID: { meaning: 'A record of the alert-control topic is not an acknowledgement ({"v":1,"action":"ack","alert_id","by","at_ms"}, optional comment; the message names the field); the alerter sends it to the dead-letter topic.' },
  BB_ALERTER_SILENCE_INVALID: { meaning: 'A record of the silences topic is not a silence ({"v":1,"id","matchers","starts_at_ms","ends_at_ms","created_by","comment"}, id = key, end after start, at least one matcher); the alerter skips and logs it (the silence does not apply); `busbar silence add` refuses to write it.' },
  BB_ALERTER_MATCHER_INVALID: { meaning: 'A label matcher is not Alertmanager syntax (name =, !=, =~ or !~ value) or its regular expression does not compile; the message quotes it (at load: the alerter configuration is refused; in a silence record: the silence is skipped; in `busbar silence add --matcher`: nothing is written).' },
} as const satisfies ErrorCatalogue;
