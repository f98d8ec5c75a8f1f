/**
 * The ACKNOWLEDGED Alert of an acknowledgement, pure. The alert-control record itself (topic, JSON,
 * encode/decode) lives in `@busbar/alert-control`, shared with the `busbar alert ack` CLI.
 */
import type { AckRecord } from '@busbar/alert-control';
import type { Alert } from '@busbar/avro';
import type { SeriesStateRecord } from '../rule-state/record.js';

/**
 * The ACKNOWLEDGED Alert of a firing episode (pure): same `alert_id`, rule, device, channel and
 * severity as the episode's state record, `timestamp` = the ack's time, `value`/`threshold` null,
 * `message` = `ACKNOWLEDGED by <by>: <device> [channel n] <signal> (rule <id>)[ — <comment>]`.
 *
 * @param series - the episode's rule-state record (it fires).
 * @param signal - the rule's signal (from the configuration).
 * @param ack - the acknowledgement.
 */
export function toAcknowledgedAlert(series: SeriesStateRecord, signal: string, ack: AckRecord): Alert {
  const where = series.channel === null ? series.deviceId : `${series.deviceId} channel ${series.channel}`;
  return {
    alert_id: series.alertId, rule: series.rule, device_id: series.deviceId, channel: series.channel, signal, severity: series.severity, state: 'ACKNOWLEDGED',
    value: null, threshold: null, timestamp: new Date(ack.atMs),
    message: `ACKNOWLEDGED by ${ack.by}: ${where} ${signal} (rule ${series.rule})${ack.comment === undefined ? '' : ` — ${ack.comment}`}`,
  };
}
